"""Fitting a conversation into the context window, leaving room for the reply.

Old turns are dropped whole (a user message together with the replies that follow
it), never cut in the middle; the system prompt always stays. A single user
message longer than the window keeps its end (the part the user wrote last) and the
caller is told how much was cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botsmith.chat_format import ChatFormat
from botsmith.errors import BotsmithError

CHARS_PER_TOKEN_MAX = 32  # no tokenizer we know packs more characters into one token

Encode = Callable[[str], list[int]]
Decode = Callable[[list[int]], str]


@dataclass
class FittedPrompt:
    messages: list[dict[str, Any]]
    prompt_ids: list[int]
    dropped_messages: int = 0
    truncated_chars: int = 0

    def notice(self) -> str | None:
        parts = []
        if self.dropped_messages:
            parts.append(f"dropped the {self.dropped_messages} oldest message(s)")
        if self.truncated_chars:
            parts.append(f"kept only the end of your message ({self.truncated_chars:,} characters cut)")
        return f"To fit the context window, {' and '.join(parts)}." if parts else None


def fit_conversation(messages: Sequence[dict[str, Any]], chat_format: ChatFormat, encode: Encode, decode: Decode,
                     budget: int) -> FittedPrompt:
    """The newest whole turns whose prompt fits in `budget` tokens."""
    system = list(messages[:1]) if messages and messages[0]["role"] == "system" else []
    turns = [_precut(message, budget) for message in messages[len(system):]]
    if not turns:
        raise BotsmithError("the conversation has no message to reply to")
    start = _first_fitting_turn(system, turns, chat_format, encode, budget)
    while True:
        kept = turns[start:]
        ids = encode(chat_format.prompt(system + kept))
        if len(ids) <= budget or start == len(turns) - 1:
            break
        start = _next_turn_start(turns, start)
    fitted = FittedPrompt(system + kept, ids, dropped_messages=start)
    if len(ids) > budget:
        fitted = _truncate_last(fitted, system, chat_format, encode, decode, budget)
    fitted.truncated_chars += len(messages[-1]["content"]) - len(fitted.messages[-1]["content"])
    return fitted


def _precut(message: dict[str, Any], budget: int) -> dict[str, Any]:
    # Keeps tokenising a pasted megabyte cheap: beyond this many characters it cannot fit anyway.
    limit = budget * CHARS_PER_TOKEN_MAX
    if len(message["content"]) <= limit:
        return dict(message)
    return {**message, "content": message["content"][-limit:]}


def _first_fitting_turn(system: list[dict], turns: list[dict], chat_format: ChatFormat, encode: Encode,
                        budget: int) -> int:
    """An estimate from per-message token counts, so long histories are not re-tokenised per turn."""
    used = len(encode(chat_format.prompt(system))) if system else 0
    start = len(turns) - 1
    used += len(encode(chat_format.render(turns[start:], add_generation_prompt=True)))
    for index in range(len(turns) - 2, -1, -1):
        used += len(encode(chat_format.render([turns[index]], add_generation_prompt=False)))
        if used > budget:
            break
        if turns[index]["role"] == "user":
            start = index
    return start


def _next_turn_start(turns: list[dict], start: int) -> int:
    """Index of the next user message after `start` (or the last message)."""
    for index in range(start + 1, len(turns)):
        if turns[index]["role"] == "user":
            return index
    return len(turns) - 1


def _truncate_last(fitted: FittedPrompt, system: list[dict], chat_format: ChatFormat, encode: Encode,
                   decode: Decode, budget: int) -> FittedPrompt:
    last = fitted.messages[-1]
    overhead = len(encode(chat_format.prompt(system + [{**last, "content": ""}])))
    if overhead >= budget:
        raise BotsmithError(f"the system prompt alone needs {overhead} of the {budget} tokens the context leaves",
                            hint="shorten [bot] system_prompt or raise [generate] context_tokens")
    content_ids = encode(last["content"])
    keep = budget - overhead
    while keep > 0:
        message = {**last, "content": decode(content_ids[-keep:])}
        ids = encode(chat_format.prompt(system + [message]))
        if len(ids) <= budget:
            return FittedPrompt(system + [message], ids, fitted.dropped_messages)
        keep -= max(1, len(ids) - budget)  # token boundaries can shift when text is re-encoded
    raise BotsmithError("the message cannot be fitted into the context window")


def cached_prefix_length(cached: Sequence[int], ids: Sequence[int]) -> int:
    """How many leading tokens of `ids` a KV cache holding `cached` may keep: the common prefix, never the
    last token of `ids` (its logits are what the prompt is run for)."""
    common = 0
    for old, new in zip(cached, ids[:-1]):
        if old != new:
            break
        common += 1
    return common
