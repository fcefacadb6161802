"""Read a chat template (Jinja) into a TurnStyle by rendering probe conversations through it.

Probe contents are strings no template has; what a template writes between them is its
turn headers and end markers. The style found is accepted only when its own template
renders every probe conversation exactly as the original does (a persona the original
injects when there is no system message aside: a bot never gets a base's persona).
Templates that are not a wrapping of each turn (tools, dates, reasoning blocks in the
middle of turns) give None and are used as they are.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from botsmith.chat_styles.jinja import render_jinja, style_jinja
from botsmith.chat_styles.style import TurnStyle, named_style

_S, _U1, _A1, _U2, _A2 = (f"\x01{name}-probe\x01" for name in ("system", "user1", "assistant1", "user2", "assistant2"))
_ALTERNATING = [{"role": "user", "content": _U1}, {"role": "assistant", "content": _A1},
                {"role": "user", "content": _U2}, {"role": "assistant", "content": _A2}]
_SYSTEM = [{"role": "system", "content": _S}]


class _Template:
    def __init__(self, jinja: str, eos_token: str) -> None:
        self.jinja, self.eos = jinja, eos_token

    def render(self, messages: Sequence[dict[str, Any]], generation: bool = False) -> str | None:
        try:
            return render_jinja(self.jinja, messages, add_generation_prompt=generation, eos_token=self.eos)
        except Exception:  # a template refusing a conversation raises whatever its author chose
            return None

    def refuses(self, messages: Sequence[dict[str, Any]]) -> bool:
        return self.render(messages) is None


def _pieces(text: str, probes: Sequence[str]) -> list[str] | None:
    """The text around each probe, in order; None when a probe is missing or out of order."""
    pieces = []
    for probe in probes:
        head, found, text = text.partition(probe)
        if not found:
            return None
        pieces.append(head)
    return [*pieces, text]


def derive_style(jinja: str, *, eos_token: str = "", special_tokens: Sequence[str] = ()) -> TurnStyle | None:
    """The style `jinja` renders conversations in, or None when it is not one."""
    template = _Template(jinja, eos_token)
    turns = _turn_pieces(template)
    if turns is None:
        return None
    user, assistant, generation = turns
    alternate = _strict(template)
    style = TurnStyle("derived", user, assistant, None, _stop(assistant[1], eos_token, special_tokens),
                      alternate=alternate, generation=None if generation == assistant[0] else generation)
    style, system_placed = _with_system(template, style)
    if not _renders_like(template, style, system_placed):
        return None
    return named_style(style)


def _strict(template: _Template) -> bool:
    """Whether roles must alternate: the template refuses two user turns in a row or a reply first, or
    merges the two user turns itself (as botsmith's own strict templates do)."""
    users = [{"role": "user", "content": _U1}, {"role": "user", "content": _U2}]
    merged = template.render(users)
    return merged is None or template.refuses(_ALTERNATING[1:3]) or f"{_U1}\n{_U2}" in merged


def _strip_end(text: str, eos_token: str, following: str) -> str:
    """`text` without the EOS some templates (Phi-3) append to a conversation that is not a prompt."""
    if eos_token and not following.startswith(text) and text.endswith(eos_token):
        return text[: -len(eos_token)]
    return text


def _turn_pieces(template: _Template) -> tuple[tuple[str, str], tuple[str, str], str] | None:
    """((user open, close), (assistant open, close), generation prompt), from a prompt after two user turns
    and from single turns (a conversation's last reply can carry extras, such as Qwen3's reasoning block)."""
    prompt = template.render(_ALTERNATING[:3], generation=True)
    user_only, replied = template.render(_ALTERNATING[:1]), template.render(_ALTERNATING[:2])
    pieces = _pieces(prompt or "", [_U1, _A1, _U2])
    user_end, reply_end = _pieces(user_only or "", [_U1]), _pieces(replied or "", [_U1, _A1])
    if pieces is None or user_end is None or reply_end is None:
        return None
    first, user_to_reply, reply_to_user, to_generation = pieces
    user_close = _strip_end(user_end[-1], template.eos, user_to_reply)
    assistant_close = _strip_end(reply_end[-1], template.eos, reply_to_user)
    if not (user_to_reply.startswith(user_close) and to_generation.startswith(user_close)
            and reply_to_user.startswith(assistant_close)):
        return None
    user_open = reply_to_user[len(assistant_close):]
    if not first.endswith(user_open):
        return None
    return ((user_open, user_close), (user_to_reply[len(user_close):], assistant_close),
            to_generation[len(user_close):])


def _with_system(template: _Template, style: TurnStyle) -> tuple[TurnStyle, bool]:
    """The style with the template's own way of placing a system message (a turn of its own, or folded
    into the first user turn), and whether the template places it so. One that refuses a system message,
    or places it where turn-by-turn rendering cannot (Mistral v0.3: in the last user turn), gets the fold."""
    rendered = template.render(_SYSTEM + _ALTERNATING[:3], generation=True)
    plain = template.render(_ALTERNATING[:3], generation=True)
    pieces = _pieces(rendered or "", [_S, _U1])
    if pieces is None or plain is None or _U1 + pieces[2] != plain[plain.index(_U1):]:
        return style, False
    before, between, _ = pieces
    user_open = style.user[0]
    if between.endswith(user_open):
        return replace(style, system=(before, between[: len(between) - len(user_open)])), True
    if before.startswith(user_open):
        return replace(style, fold=(before[len(user_open):], between)), True
    return style, False


def _renders_like(template: _Template, style: TurnStyle, system_placed: bool) -> bool:
    """Whether the style's own template renders the probe conversations as the original does.

    Conversations without a system message are compared only when the original injects nothing into
    them (a base persona is left out on purpose); a conversation's last reply may carry a block the
    original adds before it (Qwen3's empty reasoning block), which the style leaves out."""
    ours = _Template(style_jinja(style), template.eos)
    conversations = [_ALTERNATING[:n] for n in (1, 2, 3, 4)]
    compared = [_SYSTEM + c for c in conversations] if system_placed else []
    if template.render(_ALTERNATING[:1]) == ours.render(_ALTERNATING[:1]):
        compared += conversations
    for conversation in compared:
        for generation in (False, True):
            theirs, mine = template.render(conversation, generation), ours.render(conversation, generation)
            if theirs is None and conversation[-1]["role"] == "assistant" and generation:
                continue  # a prompt after a reply: some templates refuse it, botsmith never asks for one
            if theirs is None or mine is None or not _alike(theirs, mine, conversation[-1], template.eos):
                return False
    return bool(compared)


def _alike(theirs: str, mine: str, last: dict[str, Any], eos: str) -> bool:
    if theirs == mine or (eos and theirs == mine + eos):  # Phi-3 ends a conversation that is not a prompt with EOS
        return True
    head, _, tail = mine.rpartition(last["content"])
    return last["role"] == "assistant" and theirs.startswith(head) and theirs.endswith(last["content"] + tail)


def _stop(assistant_close: str, eos_token: str, special_tokens: Sequence[str]) -> str:
    """The end-of-turn marker: the longest special token in the assistant's end, else EOS, else the end itself."""
    found = sorted((token for token in special_tokens if token and token in assistant_close), key=len, reverse=True)
    if found:
        return found[0]
    if eos_token and eos_token in assistant_close:
        return eos_token
    return assistant_close.strip() or eos_token
