"""Conversation examples that fit [train] max_length, so training cuts and drops nothing.

Lengths are counted as training counts them: the bot's chat format, its system prompt
and every marker included. An example too long is made to fit, in this order:
- a multi-turn window is cut at turn boundaries into windows that fit, each starting on
  a user turn and ending on a reply (the chats stage's own window cutter);
- in an exchange still too long, older user turns go first, then the user's line keeps
  only its last sentences (the nearest context), never the reply's words;
- a reply too long on its own is split at sentence ends (at words, for one endless
  sentence) into parts that fit, each answering the same line.
What still does not fit (a template longer than max_length) is counted, and `inspect`
reports it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botsmith.chat_format import turn_text
from botsmith.records import conversation
from botsmith.train.data import bos_prefix

MIN_CONTEXT_SHARE = 4  # a long reply leaves the user's line at least 1/4 of max_length
BOUNDARY_TOKENS = 2  # tokens a text may gain when tokenized after its turn's markers rather than alone


@dataclass
class FitReport:
    counts: Counter = field(default_factory=Counter)  # windows_cut, context_trimmed, replies_split, too_long

    def as_dict(self) -> dict[str, int]:
        return {key: self.counts.get(key, 0) for key in ("windows_cut", "context_trimmed", "replies_split", "too_long")}


class Fitter:
    """Counts tokens of conversations with the bot's format and makes them fit `max_length`."""

    def __init__(self, tokenizer: Any, chat_format: Any, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.default_system = chat_format.default_system()
        self.format = chat_format.with_system(None)  # system turns are counted explicitly, as turns
        self.max_length = max_length
        self._overhead: dict[str, int] = {}
        self._prefix = len(bos_prefix(tokenizer))  # a BOS that training puts first, for Llama-style tokenizers

    def tokens(self, messages: list[dict[str, Any]]) -> int:
        """Exact token count of a conversation as training tokenizes it (its BOS and the bot's system prompt included)."""
        return self._rendered_tokens(self._with_system(messages))

    def _rendered_tokens(self, messages: list[dict[str, Any]]) -> int:
        text = self.format.render(messages, add_generation_prompt=False)
        return self._prefix + len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _with_system(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.default_system is not None and not (messages and messages[0]["role"] == "system"):
            return [{"role": "system", "content": self.default_system}, *messages]
        return list(messages)

    def cost(self, message: dict[str, Any]) -> int:
        """A turn's tokens in a conversation: its role's markers plus its content."""
        role = message["role"]
        if role not in self._overhead:
            probe = {"role": role, "content": "x"}
            self._overhead[role] = self._rendered_tokens([probe]) - self._rendered_tokens([]) - self.content_tokens("x")
        return self._overhead[role] + self.content_tokens(turn_text(message))

    def content_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


def fit_records(records: list[dict[str, Any]], fitter: Fitter) -> tuple[list[dict[str, Any]], FitReport]:
    """Every conversation record made to fit; other records pass unchanged."""
    report = FitReport()
    fitted: list[dict[str, Any]] = []
    for record in records:
        if "messages" not in record or fitter.tokens(record["messages"]) <= fitter.max_length:
            fitted.append(record)
            continue
        for messages, how in _fit(record["messages"], fitter):
            report.counts[how] += 1
            report.counts["too_long"] += fitter.tokens(messages) > fitter.max_length
            meta = {**record.get("meta", {}), "fit": how}
            if "kind" in meta:  # a window cut down to one exchange is a pair now
                meta["kind"] = "pair" if sum(m["role"] != "system" for m in messages) == 2 else "window"
            fitted.append(conversation(messages, **meta))
    return fitted, report


def _fit(messages: list[dict[str, Any]], fitter: Fitter) -> list[tuple[list[dict[str, Any]], str]]:
    system = [messages[0]] if messages[0]["role"] == "system" else []
    turns = messages[len(system):]
    budget = fitter.max_length - fitter.tokens(system) if system else fitter.max_length - fitter.tokens([])
    windows = _windows(turns, fitter, budget)
    how = "windows_cut" if len(windows) > 1 or len(windows[0]) < len(turns) else "context_trimmed"
    result = []
    for window in windows:
        if sum(fitter.cost(turn) for turn in window) <= budget:
            result.append((system + window, how))
        else:
            result += [(system + pair, kind) for pair, kind in _fit_exchange(window, fitter, budget)]
    return result


def _windows(turns: list[dict[str, Any]], fitter: Fitter, budget: int) -> list[list[dict[str, Any]]]:
    """Windows that fit, cut at turn boundaries (the chats stage's cutter); the whole list when it cannot cut."""
    from botsmith.chats.windows import fit_windows

    windows = fit_windows(turns, _Costs(fitter), budget)
    return windows or [turns]


@dataclass
class _Costs:
    """The counter `fit_windows` asks: (fixed cost, cost of each turn); the fixed part is counted by the caller."""

    fitter: Fitter

    def costs(self, turns: list[dict[str, Any]]) -> tuple[int, list[int]]:
        return 0, [self.fitter.cost(turn) for turn in turns]


def _fit_exchange(window: list[dict[str, Any]], fitter: Fitter, budget: int) -> list[tuple[list[dict], str]]:
    """The last user line (its last sentences) and the reply (in parts, when it is too long alone)."""
    reply = window[-1]
    user = next((turn for turn in reversed(window[:-1]) if turn["role"] == "user"), None)
    context = fitter.cost(user) if user else 0
    reply_room = budget - min(context, fitter.max_length // MIN_CONTEXT_SHARE)
    parts = _split(reply, fitter, reply_room) if fitter.cost(reply) > reply_room else [reply]
    how = "replies_split" if len(parts) > 1 else "context_trimmed"
    return [([_trim_start(user, fitter, budget - fitter.cost(part)), part] if user else [part], how) for part in parts]


def _split(turn: dict[str, Any], fitter: Fitter, room: int) -> list[dict[str, Any]]:
    """The turn cut at sentence ends into consecutive parts of at most `room` tokens each."""
    # Sentences are measured alone; joined to the turn's markers a token can merge differently: keep a margin.
    sentence_room = room - fitter.cost({**turn, "content": ""}) - BOUNDARY_TOKENS
    parts, current = [], ""
    for sentence in _sentences(turn["content"], fitter, sentence_room):
        candidate = f"{current} {sentence}".strip()
        if current and fitter.cost({**turn, "content": candidate}) > room:
            parts.append(current)
            candidate = sentence
        current = candidate
    parts.append(current)
    # rejected replies part from the reply's beginning (train/data.py): they stay with the first part only
    rest = {key: value for key, value in turn.items() if key != "rejected"}
    return [{**(turn if number == 0 else rest), "content": part} for number, part in enumerate(p for p in parts if p)]


def _trim_start(turn: dict[str, Any], fitter: Fitter, room: int) -> dict[str, Any]:
    """The turn's last sentences that fit in `room` tokens (its last words, when even one sentence is too long)."""
    if fitter.cost(turn) <= room:
        return turn
    from botsmith.extract.fragments import sentence_spans

    text, kept = turn["content"], ""
    for span in reversed(sentence_spans(text)):
        candidate = f"{text[span.start:span.end]} {kept}".strip()
        if fitter.cost({**turn, "content": candidate}) > room:
            break
        kept = candidate
    if not kept:
        words = text.split()
        fits = lambda count: fitter.cost({**turn, "content": " ".join(words[-count:])}) <= room  # noqa: E731
        count = next((n for n in range(len(words) - 1, 0, -1) if fits(n)), 0)
        kept = " ".join(words[-count:]) if count else ""
    return {**turn, "content": kept}


def _sentences(text: str, fitter: Fitter, room: int) -> list[str]:
    """Sentences of `text`; a sentence longer than `room` tokens is cut between words."""
    from botsmith.extract.fragments import sentence_spans

    pieces = []
    for span in sentence_spans(text):
        sentence = text[span.start:span.end]
        if fitter.content_tokens(sentence) <= room:
            pieces.append(sentence)
            continue
        chunk = ""
        for word in sentence.split():
            candidate = f"{chunk} {word}".strip()
            if chunk and fitter.content_tokens(candidate) > room:
                pieces.append(chunk)
                candidate = word
            chunk = candidate
        pieces.append(chunk)
    return pieces
