"""Find the quoted speech in each paragraph: the best balanced reading of its quote marks.

Each paragraph is read left to right with two states, outside and inside a quotation.
Every candidate mark may open (outside), close (inside) or be ignored (an apostrophe,
a nested quote of the other kind); a small dynamic programme picks the reading with the
highest total score. Ending a paragraph inside a quotation costs a penalty unless the
next paragraph reopens it: that is how a speech runs over several paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from botsmith.extract.dialogue.layout import Paragraph
from botsmith.extract.dialogue.quotes import Convention

_UNCLOSED_PENALTY = 4.0
_TAG_AFTER = re.compile(
    r"[ \t\r\n]*(?:said|says|cried|replied|asked|answered|returned|continued|observed|added|exclaimed|"
    r"whispered|thought|remarked|repeated|went on|began|shouted|muttered|murmured)\b")
_TAG_BONUS = 2.0
_NESTED_COST = 3.0


@dataclass
class Quote:
    """One stretch of quoted words: text[start:end], marks excluded, whitespace trimmed."""

    start: int
    end: int
    paragraph: int  # index into the paragraph list
    open_mark: int  # position of the opening mark (or dash)
    close_mark: int | None  # position of the closing mark; None when the paragraph ended first
    continues: bool = False  # reopens a speech left open at the end of the previous paragraph


def scan_quotes(text: str, paragraphs: list[Paragraph], conv: Convention) -> tuple[list[Quote], int]:
    """All quotations in the paragraphs, and how many were left unbalanced.

    A speech left open before verse (an indented block, or one in the other kind of
    quotes) carries on through the verse, and closes in the paragraph after it when that
    paragraph has a closing mark before any opening one (`...I had to sing / verse /
    You know the song, perhaps?'`).
    """
    quotes: list[Quote] = []
    unbalanced = 0
    still_open = carry = False
    for index, para in enumerate(paragraphs):
        nxt = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
        same_scene = nxt is not None and nxt.scene == para.scene
        reopens = same_scene and _opens_at_start(text, nxt, conv)
        leads_into_block = same_scene and _is_block(text, nxt, conv)
        reading = _best_reading(text, para, conv, reopens or leads_into_block, start_inside=False)
        carried_block = False
        if carry:
            inside = _best_reading(text, para, conv, reopens or leads_into_block, start_inside=True)
            carried_block = _is_block(text, para, conv)
            if carried_block or (inside[1] and inside[1][0][1] is not None and inside[0] >= reading[0]):
                reading = inside
        score, pairs = reading
        for n, (open_mark, close_mark) in enumerate(pairs):
            end = close_mark if close_mark is not None else para.end
            quote = trimmed_quote(text, open_mark + 1, end, index, open_mark, close_mark)
            if quote is None:
                continue
            first = open_mark == _first_mark(text, para, conv) or open_mark < para.start
            quote.continues = n == 0 and still_open and first
            quotes.append(quote)
        still_open = bool(pairs) and pairs[-1][1] is None
        carry = still_open and (leads_into_block or carried_block)
        if still_open and not (reopens or leads_into_block):
            unbalanced += 1
    return quotes, unbalanced


def _is_block(text: str, para: Paragraph, conv: Convention) -> bool:
    """Verse or a song inside a speech: an indented paragraph, or one opening with another kind of quote."""
    if _opens_at_start(text, para, conv):
        return False  # an indented paragraph that reopens the quotation is the multi-paragraph rule
    window = max(0, para.start - 200)
    line_start = max(text.rfind("\n", window, para.start), text.rfind("\r", window, para.start), window - 1) + 1
    return para.start - line_start >= 2 or text[para.start] in "\"“‘'«»„‚"


def _first_mark(text: str, para: Paragraph, conv: Convention) -> int | None:
    match = conv.marks.search(text, para.start, para.end)
    return match.start() if match else None


def _opens_at_start(text: str, para: Paragraph, conv: Convention) -> bool:
    first = _first_mark(text, para, conv)
    if first is None or text[para.start:first].strip("_* \t"):
        return False
    opening, _ = conv.score(text, first, para.start, para.end)
    return opening is not None and opening > 0


def _best_reading(text: str, para: Paragraph, conv: Convention, reopens: bool,
                  *, start_inside: bool) -> tuple[float, list[tuple[int, int | None]]]:
    """Viterbi over nesting depth (0 = outside): returns outermost (open, close-or-None) pairs.

    Conventions whose marks have a direction may nest the same mark one level deep
    (“say “How doth the little bee,” but...”); the inner pair stays inside the speech.
    """
    depth_limit = 2 if conv.nests else 1
    NEG = float("-inf")
    scores = [0.0] + [NEG] * depth_limit
    paths: list[tuple] = [()] * (depth_limit + 1)
    if start_inside:  # the speech began before this paragraph: a virtual mark just before it
        scores = [NEG, 0.0] + [NEG] * (depth_limit - 1)
        paths[1] = ((), ("open", para.start - 1, 1))
    for match in conv.marks.finditer(text, para.start, para.end):
        pos = match.start()
        opening, closing = conv.score(text, pos, para.start, para.end)
        new_scores, new_paths = list(scores), list(paths)
        if closing is not None:
            if _TAG_AFTER.match(text, pos + 1):
                closing += _TAG_BONUS
            for depth in range(1, depth_limit + 1):
                if scores[depth] > NEG and scores[depth] + closing > new_scores[depth - 1]:
                    new_scores[depth - 1] = scores[depth] + closing
                    new_paths[depth - 1] = (paths[depth], ("close", pos, depth))
        if opening is not None:
            for depth in range(depth_limit):
                gain = opening if depth == 0 else opening - _NESTED_COST
                if scores[depth] > NEG and scores[depth] + gain > new_scores[depth + 1]:
                    new_scores[depth + 1] = scores[depth] + gain
                    new_paths[depth + 1] = (paths[depth], ("open", pos, depth + 1))
        scores, paths = new_scores, new_paths
    penalty = 0.0 if reopens else _UNCLOSED_PENALTY
    final = [scores[d] - (penalty if d else 0.0) for d in range(depth_limit + 1)]
    best = max(range(depth_limit + 1), key=lambda d: final[d])
    return final[best], _pairs(paths[best])


def _pairs(path: tuple) -> list[tuple[int, int | None]]:
    steps = []
    while path:
        path, step = path
        steps.append(step)
    steps.reverse()
    pairs: list[tuple[int, int | None]] = []
    for kind, pos, depth in steps:
        if depth != 1:
            continue
        if kind == "open":
            pairs.append((pos, None))
        else:
            pairs[-1] = (pairs[-1][0], pos)
    return pairs


def trimmed_quote(text: str, start: int, end: int, paragraph: int, open_mark: int,
                  close_mark: int | None) -> Quote | None:
    """The quote between `start` and `end` without its surrounding white space (None when empty)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    return Quote(start, end, paragraph, open_mark, close_mark)
