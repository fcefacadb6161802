"""Where the speech can be: paragraphs, chapters, and the parts of a file that are not the story.

Everything here works on the text exactly as given (no newline normalisation), so every
offset found later indexes the caller's string. Raw Project Gutenberg files (hard-wrapped,
blank line between paragraphs, CRLF or LF) and cleaned files (one paragraph per line) are
both handled: a block whose lines are long is split into one paragraph per line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_NL = r"(?:\r\n|\r(?!\n)|\n)"
_BLANK_RUN = re.compile(rf"{_NL}(?:[ \t\f\v\u00a0]*{_NL})+")
_NUMBER = (r"(?:[IVXLCDM]+|\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
           r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|the\s+\w+)\b")
_HEADING = re.compile(
    r"[ \t]*\[?[ \t]*(?:chapter|chap\.|book|part|volume|stave|kapitel|chapitre|cap[ií]tulo|capitolo|"
    r"глава|prologue|epilogue)(?:[ \t.]+" + _NUMBER + r"|[ \t]*$|[ \t]*[.:])",
    re.IGNORECASE)
_ROMAN_ONLY = re.compile(r"[ \t]*(?:[IVXLC]+|\d{1,3})\.?[ \t]*$")
_GUTENBERG_START = re.compile(r"\*\*\*\s*START OF (?:THE|THIS) PROJECT GUTENBERG[^\n]*", re.IGNORECASE)
_GUTENBERG_END = re.compile(r"\*\*\*\s*END OF (?:THE|THIS) PROJECT GUTENBERG|End of (?:the )?Project Gutenberg",
                            re.IGNORECASE)
_BRACKETED = re.compile(r"\[(?:Illustration|Footnote|Transcriber|Sidenote)", re.IGNORECASE)
_MARKUP = re.compile(r"/\*.*?\*/", re.DOTALL)  # Gutenberg layout markup: /* NIND ... */
# A quoted caption in a list of illustrations: “On the stairs”      189
_PAGE_NUMBER = re.compile(r"[ \t]{3,}\d+[ \t]*(?=\r?$)", re.MULTILINE)
_LONG_LINE = 110  # a block whose median line is longer than this is one paragraph per line
_MIN_CHAPTER = 1500  # chars of prose after a heading for it to count as the start of the story


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int  # exclusive; trailing whitespace not included
    scene: int  # index into Layout.scenes


@dataclass
class Layout:
    paragraphs: list[Paragraph]
    scenes: list[str]  # scene labels; scene 0 is "" (before any heading)
    skipped_front: int  # characters of front matter (title page, preface, contents) left out


def analyse(text: str) -> Layout:
    """Split `text` into story paragraphs with their chapter, leaving out non-story regions."""
    lo, hi = _story_bounds(text)
    blocks = [b for b in _blocks(text, lo, hi)]
    headings = [i for i, (s, e) in enumerate(blocks) if _is_heading(text, s, e)]
    story_start = _first_chapter(text, blocks, headings, lo, hi)
    excluded = _excluded_ranges(text, lo, hi)
    excluded_starts = [start for start, _ in excluded]
    scenes, paragraphs = [""], []
    heading_set = set(headings)
    for index, (start, end) in enumerate(blocks):
        if index in heading_set:
            scenes.append(_label(text, start, end))
            continue
        if start < story_start:
            continue
        for piece_start, piece_end in _cut(start, end, excluded, excluded_starts):
            for p_start, p_end in _split_block(text, piece_start, piece_end):
                paragraphs.append(Paragraph(p_start, p_end, len(scenes) - 1))
    return Layout(paragraphs, scenes, max(0, story_start - lo))


def _story_bounds(text: str) -> tuple[int, int]:
    """The part between Project Gutenberg's START and END markers, when the file has them."""
    lo, hi = 0, len(text)
    start = _GUTENBERG_START.search(text)
    if start:
        lo = start.end()
    end = _GUTENBERG_END.search(text, lo)
    if end:
        hi = end.start()
    return lo, hi


def _blocks(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Runs of non-blank lines, as (start, end) with surrounding whitespace trimmed."""
    blocks, pos = [], lo
    for blank in _BLANK_RUN.finditer(text, lo, hi):
        _append_trimmed(text, pos, blank.start(), blocks)
        pos = blank.end()
    _append_trimmed(text, pos, hi, blocks)
    return blocks


def _append_trimmed(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


def _is_heading(text: str, start: int, end: int) -> bool:
    block = text[start:end]
    lines = block.splitlines()
    if len(lines) > 4 or len(lines[0]) > 80:
        return False
    return bool(_HEADING.match(lines[0]) or (len(lines) == 1 and _ROMAN_ONLY.match(lines[0])))


def _label(text: str, start: int, end: int) -> str:
    first = text[start:end].splitlines()[0]
    return " ".join(first.strip(" \t[]").split())


def _first_chapter(text: str, blocks: list[tuple[int, int]], headings: list[int], lo: int, hi: int) -> int:
    """Where the story starts: the first heading followed by real prose, if it is near the start.

    Title pages, editors' prefaces and lists of illustrations quote things too; none of it
    is the characters' speech. A book without headings is taken whole.
    """
    for n, index in enumerate(headings):
        next_block = headings[n + 1] if n + 1 < len(headings) else len(blocks)
        prose = sum(e - s for s, e in blocks[index + 1:next_block])
        if prose >= _MIN_CHAPTER:
            start = blocks[index][0]
            return start if start - lo < 0.25 * (hi - lo) else lo
    return lo


def _excluded_ranges(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Illustration captions, footnotes, layout markup, list-of-illustrations lines."""
    ranges = [_bracket_span(text, m.start(), hi) for m in _BRACKETED.finditer(text, lo, hi)]
    ranges += [(m.start(), m.end()) for m in _MARKUP.finditer(text, lo, hi)]
    for number in _PAGE_NUMBER.finditer(text, lo, hi):
        line_start = text.rfind("\n", max(lo, number.start() - 120), number.start()) + 1
        if number.start() - line_start <= 120:
            ranges.append((max(line_start, lo), number.end()))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


_BRACKET = re.compile(r"[\[\]]")


def _bracket_span(text: str, start: int, hi: int) -> tuple[int, int]:
    """From '[' to its matching ']' (captions nest brackets); at most 3000 characters."""
    depth, limit = 0, min(hi, start + 3000)
    for bracket in _BRACKET.finditer(text, start, limit):
        depth += 1 if bracket.group() == "[" else -1
        if depth == 0:
            return start, bracket.end()
    newline = text.find("\n", start, limit)  # unbalanced: drop the rest of the line only
    return start, newline if newline >= 0 else limit


def _cut(start: int, end: int, excluded: list[tuple[int, int]], starts: list[int]) -> list[tuple[int, int]]:
    """The parts of [start, end) outside the excluded ranges (sorted, merged; `starts` their starts)."""
    pieces, pos = [], start
    for ex_start, ex_end in excluded[max(0, bisect.bisect_right(starts, start) - 1):]:
        if ex_start >= end:
            break
        if ex_end <= pos:
            continue
        if ex_start > pos:
            pieces.append((pos, ex_start))
        pos = max(pos, ex_end)
    if pos < end:
        pieces.append((pos, end))
    return pieces


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """One paragraph per block, or one per line when the block is unwrapped text."""
    out: list[tuple[int, int]] = []
    lines = text[start:end].splitlines(keepends=True)
    if len(lines) > 1 and sorted(len(line) for line in lines)[len(lines) // 2] > _LONG_LINE:
        pos = start
        for line in lines:
            _append_trimmed(text, pos, pos + len(line), out)
            pos += len(line)
    else:
        _append_trimmed(text, start, end, out)
    return out
