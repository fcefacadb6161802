"""Quote conventions: which marks open and close speech, how likely each mark is to be one.

Every convention scores each candidate mark as an opening quote and as a closing quote
from its neighbours (a space before and a letter after opens; punctuation before and a
space after closes); `scan.py` then picks the best balanced reading of each paragraph.
A score of None means the mark cannot play that role. The hard case is a single quote
that is also the apostrophe: `I'm` and `Dinah'll` are never quotes, `'em`, `'tis` and
`o'clock` rarely, plural possessives (`the girls' room`) only weakly close a quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from botsmith.errors import BotsmithError

CONVENTIONS = ("double-curly", "double-straight", "single-curly", "single-straight", "guillemets", "german", "dash")

# Words that begin with an elided letter: a quote-like mark before them is an apostrophe.
ELISIONS = frozenset(
    "em tis twas twere twill twould twon tain taint cause bout til gainst neath nough fore n un im er "
    "ere e ee ow ome alf ave ad as appen ead eart ope ouse ud ull ll s d ve re t m y ye".split())
_OPEN_AFTER = frozenset("([{—–-\"“‘«»„‚_*/")  # what may stand just before an opening quote
_CLOSE_BEFORE = frozenset(",.!?;:—–-…)]\"”’»«_*")  # punctuation that ends speech
_CLOSE_FOLLOW = frozenset(",.!?;:—–-…)]\"”“’»«_*")  # what may stand just after a closing quote
_LETTERS = re.compile(r"[^\W\d_]+")
_SPACE_OR_OPENING = frozenset(" \t\r\n\u00a0([—–-")

Score = tuple[float | None, float | None]


@dataclass(frozen=True)
class Convention:
    name: str
    marks: re.Pattern[str]  # candidate marks worth scoring (apostrophes inside words excluded)
    score: Callable[[str, int, int, int], Score]  # (text, pos, para_start, para_end) -> (open, close)
    nests: bool = False  # the same mark may open a quotation inside a quotation


def _neighbours(text: str, pos: int, lo: int, hi: int) -> tuple[str, str]:
    before = text[pos - 1] if pos > lo else " "
    after = text[pos + 1] if pos + 1 < hi else " "
    return before, after


def _at_paragraph_start(text: str, pos: int, lo: int) -> bool:
    return all(c in _OPEN_AFTER or c.isspace() for c in text[lo:pos])


def _word_after(text: str, pos: int) -> str:
    match = _LETTERS.match(text, pos + 1)
    return match.group().lower() if match else ""


def _close_score_for_apostrophe_mark(text: str, pos: int, hi: int, before: str, after: str) -> float | None:
    """A ' or ’ after a word: a strong close after punctuation, weaker after letters."""
    if before.isspace() or not (after.isspace() or after in _CLOSE_FOLLOW):
        return None
    if not before.isalpha():
        return 4.0
    start = pos
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    word = text[start:pos].lower()
    following = text[pos + 1:pos + 3]
    if word.endswith("s") and following[:1] == " " and following[1:2].islower():
        return 0.2  # plural possessive: the girls' room
    if len(word) > 3 and word.endswith("in") and following[:1] == " ":
        return -0.5  # dropped g: goin' home
    return 1.5


def _score_single(text: str, pos: int, lo: int, hi: int, *, curly: bool) -> Score:
    before, after = _neighbours(text, pos, lo, hi)
    mark = text[pos]
    opening = None
    if (not curly or mark == "‘") and (before.isspace() or before in _OPEN_AFTER) and not after.isspace():
        opening = 3.0 if not curly else 5.0
        if _at_paragraph_start(text, pos, lo):
            opening += 3.0
        if _word_after(text, pos) in ELISIONS or after.isdigit():
            opening = -1.0
    if curly and mark == "‘":
        return (opening if not before.isalpha() else None), None
    return opening, _close_score_for_apostrophe_mark(text, pos, hi, before, after)


def _score_double_straight(text: str, pos: int, lo: int, hi: int) -> Score:
    before, after = _neighbours(text, pos, lo, hi)
    if before.isspace() and after.isspace():
        return 0.5, 0.5
    opening = closing = None
    if (before.isspace() or before in _OPEN_AFTER) and not after.isspace():
        opening = 8.0 if _at_paragraph_start(text, pos, lo) else 5.0
    if not before.isspace() and (after.isspace() or after in _CLOSE_FOLLOW):
        closing = 5.0
    if opening is None and closing is None:
        return 0.5, 0.5  # glued on both sides (said,"Yes): let the balance decide
    return opening, closing


def _paired(openers: str, closers: str) -> Callable[[str, int, int, int], Score]:
    """Marks with a fixed direction; a misdirected mark is accepted at a low score."""

    def score(text: str, pos: int, lo: int, hi: int) -> Score:
        before, after = _neighbours(text, pos, lo, hi)
        mark = text[pos]
        if mark in openers:
            misdirected_close = 1.0 if not before.isspace() and after.isspace() and mark not in closers else None
            return (8.0 if _at_paragraph_start(text, pos, lo) else 6.0), misdirected_close
        misdirected_open = 1.0 if before.isspace() and after.isalpha() else None
        return misdirected_open, 6.0

    return score


def convention(name: str, *, reversed_guillemets: bool = False) -> Convention:
    """The scanner settings for a convention name (see CONVENTIONS)."""
    if name == "double-curly":
        return Convention(name, re.compile("[“”]"), _paired("“", "”"), nests=True)
    if name == "double-straight":
        return Convention(name, re.compile('"'), _score_double_straight)
    if name == "single-curly":
        return Convention(name, re.compile(r"‘|’(?!\w)|(?<!\w)’"),
                          lambda t, p, lo, hi: _score_single(t, p, lo, hi, curly=True))
    if name == "single-straight":
        return Convention(name, re.compile(r"(?<!\w)'|'(?!\w)"),
                          lambda t, p, lo, hi: _score_single(t, p, lo, hi, curly=False))
    if name == "guillemets":
        opener, closer = ("»", "«") if reversed_guillemets else ("«", "»")
        return Convention(name, re.compile("[«»]"), _paired(opener, closer), nests=True)
    if name == "german":
        return Convention(name, re.compile("[„“”]"), _paired("„", "“”"), nests=True)
    raise BotsmithError(f"unknown quote convention {name!r}",
                        hint="use one of: auto, " + ", ".join(CONVENTIONS))


_DASH_PARAGRAPH = re.compile(r"(?:—|―|–|--)")
_STRAIGHT_OPEN = re.compile(r"'(?=[^\W\d_])")


def detect(text: str, paragraph_starts: list[int]) -> tuple[str, dict[str, float]]:
    """The book's speech convention: the mark family that opens the most quotations."""
    counts = {c: text.count(c) for c in "“”‘\"«»„"}
    straight_opens = sum(1 for m in _STRAIGHT_OPEN.finditer(text)
                         if (m.start() == 0 or text[m.start() - 1] in _SPACE_OR_OPENING)
                         and _word_after(text, m.start()) not in ELISIONS)
    dash_paragraphs = sum(1 for start in paragraph_starts if _DASH_PARAGRAPH.match(text, start))
    scores = {
        "german": 2.0 * counts["„"],
        "double-curly": counts["“"] + counts["”"] - 2.0 * counts["„"],
        "double-straight": float(counts['"']),
        "single-curly": 2.0 * counts["‘"],
        "single-straight": 2.0 * straight_opens,
        "guillemets": float(counts["«"] + counts["»"]),
        "dash": 2.0 * dash_paragraphs,
    }
    if not any(scores.values()):
        return "double-curly", scores  # no speech at all: the commonest convention, not the first one listed
    best = max(scores, key=lambda name: scores[name])
    return best, scores


def guillemets_reversed(text: str, paragraph_starts: list[int]) -> bool:
    """German books print »speech«: count which guillemet opens paragraphs."""
    opened_by = [text[s] for s in paragraph_starts if s < len(text) and text[s] in "«»"]
    return opened_by.count("»") > opened_by.count("«")
