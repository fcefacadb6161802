"""The text as numbered lines and blank-line-separated blocks, plus the bits of
layout that are never the author's words: illustration blocks, bracketed
transcriber's notes and Gutenberg's `/* ... */` preformatting marks.

Every line keeps its number in the original file, so what the cleaner removes can
be reported by line in the manifest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Bracketed blocks that are editorial: "[Illustration: ...]", "[Transcriber's Note: ...]".
_BRACKET_BLOCK = re.compile(
    r"\[\s*(illustration|transcriber[’'`]?s?\s+note|decoration|frontispiece|sidenote|greek|plate)\b",
    re.IGNORECASE,
)
_PREFORMAT_MARK = re.compile(r"^\s*/[*#]\s?|\s?[*#]/\s*$")
# A caption that names a chapter ("[Illustration: ·PRIDE AND PREJUDICE· Chapter I.]")
# carries the book's only heading for that chapter; it is kept as a heading line.
_HEADING_IN_CAPTION = re.compile(r"^\s*((?:chapter|book|part|act|scene|stave)\s+[ivxlcdm\d]+\.?.*)$",
                                 re.IGNORECASE | re.MULTILINE)
_THE_END_CAPTION = re.compile(r"^illustration:?\s*(?:the\s+end|finis)\W*$", re.IGNORECASE)
_MAX_BRACKET_LINES = 60  # an unclosed "[Illustration" must not swallow the rest of the book


@dataclass
class Line:
    no: int  # 1-based line number in the decoded file
    text: str


@dataclass
class Removal:
    """One entry of the manifest: what was removed, where, and how it started."""

    what: str
    start_line: int
    end_line: int
    preview: str

    def as_dict(self) -> dict[str, object]:
        return {"what": self.what, "start_line": self.start_line, "end_line": self.end_line, "preview": self.preview}


@dataclass
class Block:
    """Lines between blank lines; `gap` counts the blank lines before it."""

    lines: list[Line]
    gap: int = 1
    heading: str | None = None  # set when the block is a chapter/act/scene heading
    tags: set[str] = field(default_factory=set)

    @property
    def first(self) -> int:
        return self.lines[0].no

    @property
    def last(self) -> int:
        return self.lines[-1].no

    @property
    def stripped(self) -> list[str]:
        return [line.text.strip() for line in self.lines]

    @property
    def joined(self) -> str:
        return " ".join(self.stripped)


def split_lines(text: str) -> list[Line]:
    """Number the lines of `text`, whatever its line endings."""
    parts = _LINE_BREAK.split(text)
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # the final line ending ends the last line; it does not start another
    return [Line(no, part) for no, part in enumerate(parts, start=1)]


def preview(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def removal(what: str, lines: list[Line]) -> Removal:
    return Removal(what, lines[0].no, lines[-1].no, preview(" ".join(line.text for line in lines)))


def remove_bracket_blocks(lines: list[Line], removed: list[Removal]) -> list[Line]:
    """Cut "[Illustration ...]" and similar blocks, nested brackets and several lines included."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        match = _BRACKET_BLOCK.search(lines[i].text)
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        end_index, end_col = _closing_bracket(lines, i, match.start())
        if end_index is None:  # unclosed: leave it, it is more likely text than markup
            out.append(lines[i])
            i += 1
            continue
        out.extend(_cut(lines, i, match.start(), end_index, end_col, match.group(1), removed))
        i = end_index + 1
    return out


def _closing_bracket(lines: list[Line], index: int, col: int) -> tuple[int | None, int]:
    depth = 0
    for j in range(index, min(len(lines), index + _MAX_BRACKET_LINES)):
        text = lines[j].text
        for k in range(col if j == index else 0, len(text)):
            if text[k] == "[":
                depth += 1
            elif text[k] == "]":
                depth -= 1
                if depth == 0:
                    return j, k
    return None, 0


def _cut(lines: list[Line], i: int, col: int, j: int, end_col: int, kind: str,
         removed: list[Removal]) -> list[Line]:
    """The lines left after cutting lines[i][col:] .. lines[j][:end_col+1]."""
    first, last = lines[i], lines[j]
    inner = "\n".join([first.text[col:], *(line.text for line in lines[i + 1:j])] + ([last.text[:end_col + 1]] if j > i else []))
    if j == i:
        inner = first.text[col:end_col + 1]
    what = "illustration" if kind.lower().startswith("illustration") else _kind_name(kind)
    removed.append(Removal(what, first.no, last.no, preview(inner)))
    kept: list[Line] = []
    before, after = first.text[:col], last.text[end_col + 1:]
    if before.strip():
        kept.append(Line(first.no, before))
    kept.extend(Line(first.no, heading) for heading in headings_in_caption(inner))
    if after.strip():
        kept.append(Line(last.no, after))
    elif before.strip() == "" and not kept:
        kept.append(Line(first.no, ""))  # the block leaves a blank, so paragraphs stay apart
    return kept


def _kind_name(kind: str) -> str:
    lowered = kind.lower()
    return "transcriber's note" if lowered.startswith("transcriber") else lowered


def headings_in_caption(caption: str) -> list[str]:
    """Chapter headings hidden in an illustration's caption, as their own lines."""
    body = caption.strip().lstrip("[").rstrip("]")
    found = [m.group(1).strip().rstrip("]").strip() for m in _HEADING_IN_CAPTION.finditer(body)]
    if _THE_END_CAPTION.match(" ".join(body.split())):
        found = ["THE END"]
    return ["", *found, ""] if found else []


def strip_preformat_marks(lines: list[Line]) -> list[Line]:
    """Gutenberg's "/*" and "*/" (and "/#" "#/") only tell readers not to rewrap a block."""
    out = []
    for line in lines:
        if "/*" in line.text or "*/" in line.text or "/#" in line.text or "#/" in line.text:
            line = Line(line.no, _PREFORMAT_MARK.sub("", line.text))
        out.append(line)
    return out


def to_blocks(lines: list[Line]) -> list[Block]:
    """Group lines into blocks separated by blank lines."""
    blocks: list[Block] = []
    current: list[Line] = []
    gap = 0
    for line in lines:
        if line.text.strip():
            current.append(line)
            continue
        if current:
            blocks.append(Block(current, gap))
            current, gap = [], 0
        gap += 1
    if current:
        blocks.append(Block(current, gap))
    return blocks
