"""Front and back matter: everything around the author's text.

The author's text starts at the first chapter (act, scene) heading that is followed
by real prose, which skips tables of contents; what comes before it (title page,
contents, editor's preface or introduction, dedication, credits) is removed and
reported section by section; a play keeps its dramatis personae as a first section. It ends at "THE END" / "FINIS", or,
without one, before trailing transcriber's notes, advertisements and printers'
colophons. A text with no headings loses only a leading title page, and only when
it is clearly a book's (a Gutenberg header or a "by <author>" line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from botsmith.sources.layout import Block, Removal, preview
from botsmith.sources.structure import list_like, section_name, words

_CREDITS = re.compile(r"^\s*(produced\s+by|this\s+e-?(?:text|book)\s+was\s+(produced|prepared)|e-?text\s+prepared\s+by|"
                      r"prepared\s+by|transcribed\s+(from|by)|scanned\s+by|digitized\s+by)", re.IGNORECASE)
# Capitals or title case only, and no quotes: a character saying "The end." is not the end.
_THE_END = re.compile(r"^[\s\[(*_.·]*(?:THE\s+END|The\s+End|FINIS|Finis)[\s\])*_.·!]*$")
_COLOPHON = re.compile(r"\b(press|printed|printers?|printing|ltd|limited|typeset|printed\s+in|& co|and co)\b",
                       re.IGNORECASE)
_BYLINE = re.compile(r"^\s*by\s+[A-Z]", re.IGNORECASE)
_MIN_CHAPTER_WORDS = 40
_MIN_SCENE_WORDS = 10
_BACK_SECTION_SHARE = 0.25  # back-matter headings only count in the last quarter of the book


@dataclass
class Extent:
    """The author's text is blocks[start:end]; the rest is described in `removed`."""

    start: int
    end: int
    removed: list[Removal] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)  # a play's dramatis personae (also kept in its text)


def find_extent(blocks: list[Block], *, play: bool, gutenberg: bool) -> Extent:
    start = _first_chapter(blocks, play)
    if start is None:
        start = _after_title_page(blocks) if gutenberg or _has_byline(blocks[:12]) else 0
    end = _end_of_text(blocks, start)
    extent = Extent(start, end)
    if play:
        start = extent.start = _with_dramatis_personae(blocks, start, extent)
    extent.removed.extend(_describe(blocks[:start], "title page"))
    extent.removed.extend(_describe(blocks[end:], "back matter"))
    return extent


def _with_dramatis_personae(blocks: list[Block], start: int, extent: Extent) -> int:
    """A play keeps its list of persons before the first act, outside every chapter:
    the play extractor reads it to expand speaker labels ("Ham." -> Hamlet)."""
    heading = next((i for i in range(start - 1, -1, -1) if section_name(blocks[i]) == "dramatis personae"), None)
    if heading is None or len(blocks[heading].lines) > 1:
        return start
    for block in blocks[heading:start]:
        block.tags.add("preamble")  # in the text, in no chapter: nothing learns from it as prose
    extent.persons = [line for block in blocks[heading + 1:start] for line in block.stripped]
    return heading


def _first_chapter(blocks: list[Block], play: bool) -> int | None:
    """The first heading followed by enough prose (a table of contents has none)."""
    needed = _MIN_SCENE_WORDS if play else _MIN_CHAPTER_WORDS
    for index, block in enumerate(blocks):
        if block.heading is None:
            continue
        following = []
        for after in blocks[index + 1:]:
            if after.heading is not None or section_name(after) is not None:
                break  # a preface after the last contents line is not that chapter's text
            following.append(after)
        content = [b for b in following if not list_like(b) and section_name(b) is None]
        if sum(words(b) for b in content) >= needed:
            while index and blocks[index - 1].heading is not None:
                index -= 1  # "BOOK I" or "ACT I" just above "CHAPTER 1" / "Scene I"
            return index
    return None


def _after_title_page(blocks: list[Block]) -> int:
    """The first block of prose: several lines, or one long line of sentences."""
    for index, block in enumerate(blocks[:40]):
        if section_name(block) or _CREDITS.match(block.lines[0].text) or list_like(block):
            continue
        if _centered(block):
            continue  # title pages are set in the middle of the line; prose is not
        if words(block) >= 25 or len(block.lines) >= 3 and words(block) >= 15:
            return index
    return 0


def _centered(block: Block) -> bool:
    indents = [len(line.text) - len(line.text.lstrip()) for line in block.lines]
    return sum(indents) / len(indents) >= 8


def _has_byline(blocks: list[Block]) -> bool:
    return any(_BYLINE.match(line) and len(line) < 60 for block in blocks for line in block.stripped)


def _end_of_text(blocks: list[Block], start: int) -> int:
    """Index one past the author's last block."""
    tail_from = max(start, int(len(blocks) * (1 - _BACK_SECTION_SHARE)))
    for index in range(len(blocks) - 1, start, -1):
        if len(blocks[index].lines) <= 2 and _THE_END.match(blocks[index].joined) and index >= tail_from:
            return index
    end = len(blocks)
    for index in range(tail_from, len(blocks)):
        if index > start and section_name(blocks[index]) in ("transcriber's note", "advertisements", "index"):
            end = index
            break
    while end > start + 1 and _is_colophon(blocks[end - 1]):
        end -= 1
    return end


def _is_colophon(block: Block) -> bool:
    text = block.joined
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper()) >= 0.6 * max(1, len(letters))
    return len(block.lines) <= 4 and upper and bool(_COLOPHON.search(text))


def _describe(blocks: list[Block], default: str) -> list[Removal]:
    """One manifest entry per labelled section of removed blocks."""
    entries: list[Removal] = []
    label = default
    for block in blocks:
        label = _label(block, label)
        text = " ".join(block.stripped)
        if entries and entries[-1].what == label:
            entries[-1].end_line = block.last
            if len(entries[-1].preview) < 80:  # the preview shows the section's start, not only its heading
                entries[-1].preview = preview(f"{entries[-1].preview} {text}")
        else:
            entries.append(Removal(label, block.first, block.last, preview(text)))
    return entries


def _label(block: Block, current: str) -> str:
    named = section_name(block)
    if named:
        return named
    if _CREDITS.match(block.lines[0].text):
        return "credits"
    if _THE_END.match(block.joined) and len(block.lines) <= 2:
        return "the end"
    if _is_colophon(block):
        return "colophon"
    if block.heading is not None and current in ("title page", "contents"):
        return "contents" if list_like(block) or current == "contents" else current
    if list_like(block) and current not in ("list of illustrations", "dramatis personae"):
        return "contents"
    if current in ("credits", "the end", "colophon"):
        return "title page" if current == "credits" else "back matter"
    return current
