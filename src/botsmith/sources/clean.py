"""The one cleaning function every source goes through.

    bytes/str -> decode (encoding, line endings) -> Gutenberg header/footer
      -> illustration and transcriber blocks -> front and back matter
      -> paragraphs (unwrapped prose, verse and play lines kept) -> chapters

The result is the form `sources/cleaned.py` stores: paragraphs separated by a blank
line, prose paragraphs on one line, verse and play speeches keeping their line
breaks, chapter (act, scene) titles as their own paragraphs, and chapter body
offsets. `removed` lists, by line of the original file, everything that was cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from botsmith.errors import BotsmithError
from botsmith.sources.boilerplate import GutenbergFrame, find_frame
from botsmith.sources.cleaned import Chapter, CleanSource
from botsmith.sources.encoding import decode_text, detect_newline
from botsmith.sources.layout import (Block, Line, Removal, remove_bracket_blocks, removal, split_lines,
                                     strip_preformat_marks, to_blocks)
from botsmith.sources.matter import find_extent
from botsmith.sources.structure import is_act_heading, is_verse, looks_like_play, mark_headings, wrap_width

# `_italics_` marks, only at word edges so that snake_case-like tokens survive.
# (The pattern starts with the literal "_" so the regex engine can skip ahead quickly.)
_ITALIC_MARK = re.compile(r"_(?:(?<![\w_]_)(?=[^\s_])|(?<=[^\s_]_)(?![\w_]))")
_SUPERSCRIPT = re.compile(r"\^\{([^}]*)\}|\^(\w)")
_SPACES = re.compile(r"[ \t\u00a0]+")
_LINE_END_DASH = ("-", "—", "–")
_BYLINE = re.compile(r"^by\s+([A-Z][\w.’' -]{2,60})$", re.IGNORECASE)
_UNWRAPPED_WIDTH = 120  # wider than this, lines are paragraphs already (not hard-wrapped)


@dataclass
class CleanResult:
    text: str
    chapters: list[Chapter]
    removed: list[Removal]
    encoding: str
    newline: str
    kind: str  # "prose" or "play"
    gutenberg: bool  # whether a Gutenberg header or footer was found
    fields: dict[str, str] = field(default_factory=dict)  # title, author, language, ebook_id from the header
    persons: list[str] = field(default_factory=list)  # a play's dramatis personae (kept in the text too)

    def manifest(self) -> list[dict[str, Any]]:
        return [entry.as_dict() for entry in self.removed]

    def to_source(self, source_id: str, meta: dict[str, Any] | None = None) -> CleanSource:
        """The cleaned source as `sources/cleaned.py` saves it."""
        # id and the catalogue fields first: the .json is meant to be read by people too
        info: dict[str, Any] = {"id": source_id, **(meta or {}), "kind": self.kind, "encoding": self.encoding,
                                "newline": self.newline, "removed": self.manifest()}
        if self.persons:
            info["persons"] = self.persons
        return CleanSource(source_id, self.text, self.chapters, info)


def clean_text(data: str | bytes, *, name: str = "text") -> CleanResult:
    """Clean a book (or any text); bytes are decoded first. `name` appears in errors."""
    if isinstance(data, bytes):
        decoded = decode_text(data, name=name)
        text, encoding, newline = decoded.text, decoded.encoding, decoded.newline
    else:
        text, encoding, newline = data.lstrip("\ufeff"), "str", detect_newline(data)
    if not text.strip():
        raise BotsmithError(f"{name}: the text is empty", hint="check the file or download")
    lines = split_lines(text)
    removed: list[Removal] = []
    frame = find_frame([line.text for line in lines])
    body = _strip_frame(lines, frame, removed)
    body = strip_preformat_marks(remove_bracket_blocks(body, removed))
    blocks = mark_headings(to_blocks(body))
    if not blocks:
        raise BotsmithError(f"{name}: nothing is left after removing the Gutenberg licence and illustrations")
    play = looks_like_play(blocks)
    extent = find_extent(blocks, play=play, gutenberg=frame.found)
    removed.extend(extent.removed)
    fields = {**title_page_fields(blocks[:extent.start]), **frame.fields}
    removed.sort(key=lambda entry: entry.start_line)
    text_out, chapters = assemble(blocks[extent.start:extent.end], play=play)
    if not text_out.strip():
        raise BotsmithError(f"{name}: no text is left after cleaning", hint="the file may hold only front matter")
    return CleanResult(text_out, chapters, removed, encoding, newline, "play" if play else "prose",
                       frame.found, fields, extent.persons)


def title_page_fields(front: list[Block]) -> dict[str, str]:
    """Title and author from a title page ("HAMLET, PRINCE OF DENMARK" / "by William Shakespeare")."""
    lines = [line for block in front[:6] for line in block.stripped]
    fields: dict[str, str] = {}
    for index, line in enumerate(lines[:12]):
        byline = _BYLINE.match(line)
        author = byline.group(1) if byline else (lines[index + 1] if line.lower() == "by" and index + 1 < len(lines)
                                                 else None)
        if author and index:
            fields = {"title": " ".join(lines[:index]) if index <= 3 else lines[0], "author": author}
            break
    if fields:
        fields = {key: tidy(value).strip(" ,.") for key, value in fields.items()}
    return fields


def _strip_frame(lines: list[Line], frame: GutenbergFrame, removed: list[Removal]) -> list[Line]:
    if frame.header_end is not None:
        removed.append(removal("gutenberg header", lines[: frame.body_start]))
    if frame.footer_start is not None:
        removed.append(removal("gutenberg licence footer", lines[frame.body_end:]))
    return lines[frame.body_start: frame.body_end]


def assemble(blocks: list[Block], *, play: bool) -> tuple[str, list[Chapter]]:
    """Render blocks to paragraphs and compute chapter body offsets."""
    width = wrap_width(blocks)
    hard_wrapped = width <= _UNWRAPPED_WIDTH
    parts: list[str] = []
    chapters: list[Chapter] = []
    offset = 0
    pending: list[str] = []  # titles of the heading run being read
    act = ""
    open_chapter: tuple[str, int] | None = None
    for block in blocks:
        if "preamble" in block.tags:
            paragraphs = render(block, width, play=play, hard_wrapped=hard_wrapped)
        elif block.heading is not None:
            if open_chapter and not pending:
                chapters.append(Chapter(open_chapter[0], open_chapter[1], offset - 2))
                open_chapter = None
            title = tidy(block.heading)
            pending.append(title)
            act = title if play and is_act_heading(title) else act
            paragraphs = [title]
        else:
            if pending or open_chapter is None:
                open_chapter = (_chapter_title(pending, act, play), offset)
                pending = []
            paragraphs = render(block, width, play=play, hard_wrapped=hard_wrapped)
        for paragraph in paragraphs:
            parts.append(paragraph)
            offset += len(paragraph) + 2
    if open_chapter:
        chapters.append(Chapter(open_chapter[0], open_chapter[1], offset - 2))
    return "\n\n".join(parts) + "\n", chapters


def _chapter_title(headings: list[str], act: str, play: bool) -> str:
    title = " ".join(headings)
    if play and act and headings and not any(is_act_heading(h) for h in headings):
        title = f"{act} {title}"
    return title


def render(block: Block, width: int, *, play: bool, hard_wrapped: bool) -> list[str]:
    """A block's paragraphs: a play's lines and verse keep their breaks, prose is unwrapped."""
    lines = block.stripped
    if play or is_verse(block, width) and hard_wrapped:
        return [tidy("\n".join(lines))]
    if not hard_wrapped:
        return [tidy(line) for line in lines]  # one paragraph per line already
    return [tidy(unwrap(lines))]


def unwrap(lines: list[str]) -> str:
    """Join hard-wrapped lines; a line ending in a hyphen or dash joins without a space."""
    out = lines[0]
    for line in lines[1:]:
        out += line if out.endswith(_LINE_END_DASH) and not out.endswith(" -") else " " + line
    return out


def tidy(text: str) -> str:
    """Plain words: no `_italic_` marks or `^{superscript}` braces, single spaces."""
    if "^" in text:
        text = _SUPERSCRIPT.sub(lambda m: m.group(1) or m.group(2), text)
    if "_" in text:
        text = _ITALIC_MARK.sub("", text)
    if "  " in text or "\t" in text or "\u00a0" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()
