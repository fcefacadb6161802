"""Cutting long sessions into windows that fit the model's context, at turn boundaries.

Tokens are counted with the base model's own tokenizer and chat format. A turn's cost
is what it adds to a rendered conversation: its role's markers plus its content; the
template's fixed part (the bot's system prompt, which its chat format puts in front) is
counted once per window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botsmith.chat_format import turn_text
from botsmith.config import BotConfig
from botsmith.records import Turn

_PROBE: Turn = {"role": "user", "content": "hi"}


@dataclass
class TokenCounter:
    tokenizer: Any
    chat_format: Any

    @classmethod
    def for_config(cls, config: BotConfig, root: Path | None = None) -> "TokenCounter":
        from botsmith import system_prompt
        from botsmith.chat_format import install_chat_format, template_setting
        from botsmith.models import resolve_model
        from botsmith.models.load import load_tokenizer

        # The tokenizer and format as training sees them: a base without a template gets ChatML's markers as
        # single tokens, and the bot's system prompt is part of every window.
        tokenizer = load_tokenizer(resolve_model(config.bot.base_model))
        chat_format = install_chat_format(tokenizer, chat_template=template_setting(config.bot.chat_template, root))
        return cls(tokenizer, chat_format.with_system(system_prompt.for_build(config)))

    def _count(self, texts: list[str]) -> list[int]:
        encoded = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def costs(self, turns: list[Turn]) -> tuple[int, list[int]]:
        """(fixed cost of a window, cost of each turn).

        Rendering is slow (a template per call), so it is done a few times per build: a turn's
        cost is its role's marker overhead, measured once, plus its own content's tokens."""
        render = lambda messages: self.chat_format.render(messages, add_generation_prompt=False)  # noqa: E731
        head = [_PROBE]
        roles = sorted({t["role"] for t in turns} | {"user"})
        probe_text = self._count(["x", _PROBE["content"]])
        rendered = self._count([render(head), *(render([*head, {"role": role, "content": "x"}]) for role in roles)])
        overhead = {role: count - rendered[0] - probe_text[0] for role, count in zip(roles, rendered[1:])}
        fixed = rendered[0] - overhead["user"] - probe_text[1]
        contents = self._count([turn_text(t) for t in turns]) if turns else []
        return fixed, [overhead[t["role"]] + count for t, count in zip(turns, contents)]


def fit_windows(turns: list[Turn], counter: TokenCounter, max_tokens: int) -> list[list[Turn]]:
    """Consecutive windows, each starting on a user turn and ending on an assistant turn,
    each as long as fits in `max_tokens` (a single user turn and reply too long are kept
    whole: the dataset stage truncates and counts them)."""
    if not turns:
        return []
    fixed, costs = counter.costs(turns)
    windows: list[list[Turn]] = []
    start = 0
    while True:
        while start < len(turns) and turns[start]["role"] != "user":
            start += 1
        if start >= len(turns):
            return windows
        end = _last_fitting_end(turns, costs, start, max_tokens - fixed)
        if end is None:
            return windows
        start = _fitting_start(turns, costs, start, end, max_tokens - fixed)
        windows.append(turns[start:end + 1])
        start = end + 1


def _fitting_start(turns: list[Turn], costs: list[int], start: int, end: int, budget: int) -> int:
    """When even one exchange is too long, drop the oldest user turns before the reply (the
    nearest context matters most); a single user turn and reply too long stay whole."""
    users = [index for index in range(start, end) if turns[index]["role"] == "user"]
    for index in users:
        if sum(costs[index:end + 1]) <= budget:
            return index
    return users[-1] if users else start


def _last_fitting_end(turns: list[Turn], costs: list[int], start: int, budget: int) -> int | None:
    total, best = 0, None
    for index in range(start, len(turns)):
        total += costs[index]
        if total > budget:
            break
        if turns[index]["role"] == "assistant":
            best = index
    if best is not None:
        return best
    return next((index for index in range(start, len(turns)) if turns[index]["role"] == "assistant"), None)
