"""Completion mode: text fragments cut at sentence and paragraph boundaries, sized in tokens.

A chapter is tokenized once with character offsets, so the token count of any span
is two bisections. Fragments are packed from whole sentences up to the size; the
next fragment starts on the sentence boundary that leaves about `overlap` tokens
shared. A sentence longer than a fragment (a text without punctuation, a whole
book on one line) is cut at the last word boundary that fits. Fragments never cross
a chapter: the caller hands in one chapter at a time.
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass
from typing import Any

# End of a sentence: . ! ? … (and CJK 。！？) with closing quotes/brackets, then space; or a paragraph break.
SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’)\]_]*|[。！？]+[」』”’]*)(?=\s)|\n\s*\n")
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "mme", "mlle", "messrs", "jr", "sr", "prof", "rev", "gen", "col",
                 "capt", "lt", "vs", "etc", "e.g", "i.e", "no", "vol", "ch"}


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class TokenCounter:
    """Token counts of spans of one text, from a single tokenization with offsets."""

    def __init__(self, tokenizer: Any, text: str, start: int = 0, end: int | None = None) -> None:
        end = len(text) if end is None else end
        self.tokenizer, self.text = tokenizer, text
        encoded = tokenizer(text[start:end], add_special_tokens=False, return_offsets_mapping=True)
        offsets = [(start + a, start + b) for a, b in encoded["offset_mapping"] if b > a]
        self.starts = [a for a, _ in offsets]
        self.ends = [b for _, b in offsets]

    def count(self, start: int, end: int) -> int:
        """Tokens that begin inside [start, end)."""
        return bisect.bisect_left(self.starts, end) - bisect.bisect_left(self.starts, start)

    def exact(self, start: int, end: int) -> int:
        """Tokens of text[start:end] tokenized alone (a few more than in context, at the edges)."""
        return len(self.tokenizer(self.text[start:end], add_special_tokens=False)["input_ids"])

    def cut_before(self, start: int, tokens: int) -> int:
        """The character offset after `tokens` tokens from `start`."""
        first = bisect.bisect_left(self.starts, start)
        index = min(first + tokens, len(self.starts)) - 1
        return self.ends[index] if index >= first else start


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences and paragraph ends within text[start:end], leading/trailing space excluded."""
    end = len(text) if end is None else end
    spans, position = [], start
    for match in SENTENCE_END.finditer(text, start, end):
        if match.group()[0] == "." and _is_abbreviation(text, match.start()):
            continue
        _add_span(text, position, match.end(), spans)
        position = match.end()
    _add_span(text, position, end, spans)
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"[\w.]+$", text[max(0, dot - 12):dot])
    return bool(word) and (word.group().lower() in ABBREVIATIONS or len(word.group()) == 1 and word.group().isupper())


def _add_span(text: str, start: int, end: int, spans: list[Span]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        left = start + len(piece) - len(piece.lstrip())
        spans.append(Span(left, left + len(stripped)))


def cut_fragments(text: str, start: int, end: int, counter: TokenCounter, size: int, overlap: int) -> list[Span]:
    """Fragments of text[start:end] of at most `size` tokens, overlapping by about `overlap` tokens."""
    units = _fit_units(text, sentence_spans(text, start, end), counter, size)
    fragments, first = [], 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and counter.count(units[first].start, units[last + 1].end) <= size:
            last += 1
        # Counted in context, a span can tokenize a little longer alone (its first word loses its space).
        while last > first and counter.exact(units[first].start, units[last].end) > size:
            last -= 1
        fragments.append(Span(units[first].start, units[last].end))
        if last + 1 >= len(units):
            break
        first = _next_first(units, first, last, counter, overlap)
    return fragments


def _next_first(units: list[Span], first: int, last: int, counter: TokenCounter, overlap: int) -> int:
    """The first sentence of the next fragment: as far back as `overlap` tokens allow, always moving on."""
    candidate = last + 1
    while candidate - 1 > first and counter.count(units[candidate - 1].start, units[last].end) <= overlap:
        candidate -= 1
    return candidate


def _fit_units(text: str, spans: list[Span], counter: TokenCounter, size: int) -> list[Span]:
    """Sentences, with any longer than `size` tokens cut at word boundaries."""
    units = []
    for span in spans:
        while counter.count(span.start, span.end) > size or counter.exact(span.start, span.end) > size:
            cut = _word_cut(text, span, counter, size)
            units.append(Span(span.start, cut))
            rest = len(text[cut:span.end]) - len(text[cut:span.end].lstrip())
            span = Span(cut + rest, span.end)
        if span.end > span.start:
            units.append(span)
    return units


def _word_cut(text: str, span: Span, counter: TokenCounter, size: int) -> int:
    """The last word boundary in `span` before which the text fits in `size` tokens on its own."""
    tokens = size
    while True:
        cut = counter.cut_before(span.start, tokens)
        space = text.rfind(" ", span.start + 1, cut)
        cut = space if space > span.start else cut
        if tokens <= 1 or counter.exact(span.start, cut) <= size:
            return max(cut, span.start + 1)
        tokens -= 2


def prompt_cut(text: str, fragment: Span, rng: random.Random) -> tuple[int, int] | None:
    """(sentence start, cut) for a prompt/completion pair: the prompt is the start of a sentence
    of the fragment (2 words or more), the completion the rest of the fragment; None if none fits."""
    for sentence in sentence_spans(text, fragment.start, fragment.end):
        spaces = [m.start() for m in re.finditer(r"\s+", text[sentence.start:sentence.end])]
        if len(spaces) >= 3:  # at least four words: two or more for the prompt, one or more to carry on
            cut = sentence.start + spaces[rng.randrange(1, len(spaces) - 1)]
            return sentence.start, cut
    return None
