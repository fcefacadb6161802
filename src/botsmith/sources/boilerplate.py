"""Project Gutenberg's licence header and footer, in all their historical forms.

Gutenberg files wrap the book in a header (title, credits, the licence or the old
"SMALL PRINT") and a footer (the full licence). Over thirty years the marker lines
changed: "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*" (1990s),
"*** START OF THIS PROJECT GUTENBERG EBOOK X ***" (2000s),
"*** START OF THE PROJECT GUTENBERG EBOOK X ***" (today), with or without asterisks,
and footers from "End of The Project Gutenberg Etext of X" to
"*** END OF THE PROJECT GUTENBERG EBOOK X ***". This module finds the book between them
and reads the catalogue fields the header carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_START = re.compile(
    r"^[\s*]*(?:"
    r"start\s+of\s+(?:the\s+|this\s+)?project\s+gutenberg"
    r"|start\s+of\s+the\s+copyrighted\s+project\s+gutenberg"
    r"|end\W*the\s+small\s+print"  # "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*"
    r"|end\s+of\s+the\s+small\s+print"
    r")",
    re.IGNORECASE,
)
_END = re.compile(
    r"^[\s*]*(?:"
    r"end\s+of\s+(?:the\s+|this\s+)?project\s+gutenberg"
    r"|end\s+of\s+project\s+gutenberg'?s"
    r"|end\s+of\s+the\s+copyrighted\s+project\s+gutenberg"
    r"|start\W*the\s+small\s+print"  # old files that put the small print after the book
    r"|start:\s*full\s+license"
    r")",
    re.IGNORECASE,
)
# The first line of every Gutenberg file, old and new, names the project.
_PG_MENTION = re.compile(r"project\s+gutenberg", re.IGNORECASE)
_FIELD = re.compile(r"^\s*(title|author|language|release\s+date|posting\s+date|translator|editor)\s*:\s*(.+?)\s*$",
                    re.IGNORECASE)
_EBOOK_NUMBER = re.compile(r"\[\s*e-?(?:book|text)\s*#\s*(\d+)\s*\]", re.IGNORECASE)
_OLD_TITLE = re.compile(
    r"project\s+gutenberg'?s?\s+(?:e-?book|e-?text)\s+of\s+(.+?)(?:,\s+by\s+(.+?))?\s*$", re.IGNORECASE)
# How far into the file a start marker may sit, and how close to its end a footer may begin.
_HEADER_SHARE = 0.5


@dataclass
class GutenbergFrame:
    """Where the book sits between the header and the footer (0-based line indices)."""

    body_start: int  # first line of the book
    body_end: int  # one past its last line
    header_end: int | None  # the start-marker line, when there was one
    footer_start: int | None  # the end-marker line, when there was one
    fields: dict[str, str] = field(default_factory=dict)  # title, author, language, ebook_id, ...

    @property
    def found(self) -> bool:
        return self.header_end is not None or self.footer_start is not None


def find_frame(lines: list[str]) -> GutenbergFrame:
    """Locate the header and footer markers; without them the whole text is the book."""
    header_limit = max(40, int(len(lines) * _HEADER_SHARE))
    starts = [i for i, line in enumerate(lines[:header_limit]) if _START.match(line)]
    start = starts[-1] if starts else None
    search_from = (start + 1) if start is not None else 0
    end = next((i for i in range(search_from, len(lines)) if _END.match(lines[i])), None)
    if start is not None and end is None:
        end = _old_footer(lines, search_from)
    frame = GutenbergFrame(
        body_start=search_from,
        body_end=end if end is not None else len(lines),
        header_end=start,
        footer_start=end,
    )
    frame.fields = read_fields(lines[: search_from] if start is not None else lines[:60], lines[end:end + 1] if end else [])
    return frame


def _old_footer(lines: list[str], after: int) -> int | None:
    """Some old files end with "End of The Project Gutenberg Etext" without the usual shape."""
    for i in range(len(lines) - 1, after, -1):
        if _PG_MENTION.search(lines[i]) and lines[i].strip().lower().startswith("end of"):
            return i
    return None


def read_fields(header: list[str], footer: list[str]) -> dict[str, str]:
    """Title, author, language and the ebook number, as the header states them."""
    fields: dict[str, str] = {}
    for line in header:
        match = _FIELD.match(line)
        if match:
            key = re.sub(r"\s+", "_", match.group(1).lower())
            fields.setdefault(key, match.group(2))
        number = _EBOOK_NUMBER.search(line)
        if number:
            fields.setdefault("ebook_id", number.group(1))
    for line in [*header[:3], *footer]:
        old = _OLD_TITLE.search(line.strip(" *"))
        if old:
            fields.setdefault("title", old.group(1).strip(" ,.*"))
            if old.group(2):
                fields.setdefault("author", old.group(2).strip(" ,.*"))
    return fields
