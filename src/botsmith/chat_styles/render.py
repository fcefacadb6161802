"""A TurnStyle rendered in Python: what its Jinja template does, step for step, ~50x faster.

Training renders every conversation several times (loss masks are found by rendering
prefixes); the Jinja template stays the definition exports carry, and the tests render
both (and the Ollama template) on random conversations and compare them.
"""

from __future__ import annotations

from typing import Any, Sequence

from botsmith.chat_styles.style import TurnStyle


def render_style(style: TurnStyle, messages: Sequence[dict[str, Any]], *, add_generation_prompt: bool,
                 default_system: str | None = None) -> str:
    if default_system is not None and (not messages or messages[0]["role"] != "system"):
        messages = [{"role": "system", "content": default_system}, *messages]
    closes = {"user": style.user[1], "assistant": style.assistant[1], "system": (style.system or ("", ""))[1]}
    out: list[str] = []
    prev, pending = "", None  # the last turn's role (its end marker is written when the next turn starts)
    for index, message in enumerate(messages):
        content = _content(message)
        if index == 0 and message["role"] == "system":
            if style.system is None:
                pending = content  # folded into the first user turn
            else:
                out.append(style.system[0] + content)
                prev = "system"
            continue
        role = "user" if message["role"] == "system" and style.system_as_user else message["role"]
        if style.alternate and role == prev:
            out.append("\n" + content)
            continue
        out.append(closes.get(prev, ""))
        if role == "assistant" and prev in ("", "system") and (style.alternate or pending is not None):
            out.append(style.user[0] + _fold(style, pending) + style.user[1])
            pending = None
        if role == "user":
            out.append(style.user[0] + _fold(style, pending) + content)
            pending = None
        elif role == "system":
            out.append(style.system[0] + content)
        else:
            out.append(style.assistant[0] + content)
        prev = role
    out.append(closes.get(prev, ""))
    lead = add_generation_prompt and prev in ("", "system") and (style.alternate or pending is not None)
    if pending is not None or lead:
        out.append(style.user[0] + _fold(style, pending) + style.user[1])
    if add_generation_prompt:
        out.append(style.reply_header)
    return "".join(out)


def _content(message: dict[str, Any]) -> str:
    if message["role"] == "user" and message.get("name"):
        return f"{message['name']}: {message['content']}"
    return message["content"]


def _fold(style: TurnStyle, pending: str | None) -> str:
    return "" if pending is None else style.fold[0] + pending + style.fold[1]
