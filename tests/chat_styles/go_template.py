"""A small renderer of the Go text/template subset botsmith writes for Ollama, to check its TEMPLATE.

Ollama renders a Modelfile's TEMPLATE with Go's text/template; no Go is needed for the
tests, so this implements, by the Go documentation, what botsmith's templates use:
text, {{ }} actions with {{- -}} trimming, quoted strings, true/false, $variables
(declared with :=, assigned with =, scoped to their block), .Field and $var.Field,
eq/ne/and/or/not, parentheses, if / else if / else / end and range $i, $m := .List.
Anything else raises, so a template using more cannot pass unnoticed.
"""

from __future__ import annotations

import json
import re
from typing import Any

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\(|\)|:=|=|,|\$?[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*|\$|\.[A-Za-z_]\w*|\.|-?\d+)')


def render(template: str, data: dict[str, Any]) -> str:
    nodes = _lex(template)
    tree, rest = _parse(nodes, 0, ())
    assert rest == len(nodes), "unbalanced {{ end }}"
    out: list[str] = []
    _run(tree, data, [{"$": data}], out)
    return "".join(out)


def _lex(template: str) -> list[tuple[str, str]]:
    nodes, position = [], 0
    for match in ACTION.finditer(template):
        text = template[position:match.start()]
        if match.group(1):
            text = text.rstrip(" \t\r\n")
        if nodes and nodes[-1][0] == "trim-next":
            nodes.pop()
            text = text.lstrip(" \t\r\n")
        nodes.append(("text", text))
        nodes.append(("action", match.group(2).strip()))
        if match.group(3):
            nodes.append(("trim-next", ""))
        position = match.end()
    text = template[position:]
    if nodes and nodes[-1][0] == "trim-next":
        nodes.pop()
        text = text.lstrip(" \t\r\n")
    nodes.append(("text", text))
    return nodes


def _parse(nodes, index, stops):
    """(list of nodes up to one of `stops`, index of that stop)."""
    body = []
    while index < len(nodes):
        kind, value = nodes[index]
        if kind == "text":
            body.append(("text", value))
            index += 1
            continue
        word = value.split(maxsplit=1)[0] if value else ""
        if word in stops or (word == "else" and "else" in stops):
            return body, index
        if word == "if":
            node, index = _parse_if(nodes, index)
            body.append(node)
        elif word == "range":
            match = re.fullmatch(r"range\s+\$(\w+)\s*,\s*\$(\w+)\s*:=\s*(.+)", value, re.S)
            assert match, f"unsupported range: {value}"
            inner, index = _parse(nodes, index + 1, ("end",))
            body.append(("range", match.group(1), match.group(2), _tokens(match.group(3)), inner))
            index += 1
        elif value.startswith("/*"):
            index += 1
        else:
            body.append(("action", value))
            index += 1
    return body, index


def _parse_if(nodes, index):
    branches = []
    condition = nodes[index][1][len("if"):]
    while True:
        inner, index = _parse(nodes, index + 1, ("end", "else"))
        branches.append((_tokens(condition) if condition is not None else None, inner))
        value = nodes[index][1]
        if value == "end":
            return ("if", branches), index + 1
        if value.startswith("else if"):
            condition = value[len("else if"):]
        else:
            assert value == "else", value
            condition = None


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        assert match, f"cannot read {text[position:]!r}"
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _run(tree, dot, scopes, out):
    for node in tree:
        if node[0] == "text":
            out.append(node[1])
        elif node[0] == "if":
            for condition, inner in node[1]:
                if condition is None or _truth(_eval(condition, dot, scopes)):
                    _run(inner, dot, scopes + [{}], out)
                    break
        elif node[0] == "range":
            _, index_name, item_name, source, inner = node
            for position, item in enumerate(_eval(source, dot, scopes)):
                _run(inner, item, scopes + [{f"${index_name}": position, f"${item_name}": item}], out)
        else:
            _action(node[1], dot, scopes, out)


def _action(text, dot, scopes, out):
    tokens = _tokens(text)
    if len(tokens) > 2 and tokens[0].startswith("$") and tokens[1] in (":=", "="):
        value = _eval(tokens[2:], dot, scopes)
        if tokens[1] == ":=":
            scopes[-1][tokens[0]] = value
        else:
            next(scope for scope in reversed(scopes) if tokens[0] in scope)[tokens[0]] = value
        return
    value = _eval(tokens, dot, scopes)
    out.append("" if value is None else str(value).lower() if isinstance(value, bool) else str(value))


def _eval(tokens, dot, scopes):
    value, rest = _command(tokens, dot, scopes)
    assert not rest, f"left over: {rest}"
    return value


FUNCTIONS = {"eq", "ne", "and", "or", "not"}


def _command(tokens, dot, scopes):
    """A function call with its arguments, or one operand."""
    if tokens[0] in FUNCTIONS:
        args, rest = [], tokens[1:]
        while rest and rest[0] != ")":
            arg, rest = _operand(rest, dot, scopes)
            args.append(arg)
        return _call(tokens[0], args), rest
    return _operand(tokens, dot, scopes)


def _call(name, args):
    if name == "eq":
        return any(args[0] == other for other in args[1:])
    if name == "ne":
        return args[0] != args[1]
    if name == "not":
        return not _truth(args[0])
    for arg in args:  # and / or return the deciding argument, as Go's do
        if _truth(arg) != (name == "and"):
            return arg
    return args[-1]


def _operand(tokens, dot, scopes):
    token, rest = tokens[0], tokens[1:]
    if token == "(":
        value, rest = _command(rest, dot, scopes)
        assert rest and rest[0] == ")"
        return value, rest[1:]
    if token.startswith('"'):
        return json.loads(token), rest
    if token in ("true", "false"):
        return token == "true", rest
    if re.fullmatch(r"-?\d+", token):
        return int(token), rest
    if token.startswith("$"):
        name, _, path = token.partition(".")
        scope = next(scope for scope in reversed(scopes) if name in scope)
        return _fields(scope[name], path), rest
    assert token.startswith("."), f"unsupported operand {token}"
    return _fields(dot, token[1:]), rest


def _fields(value, path):
    for field in filter(None, path.split(".")):
        value = value[field]
    return value


def _truth(value) -> bool:
    return bool(value)
