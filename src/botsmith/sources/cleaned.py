"""The on-disk form of a cleaned source, shared by the sources and extract stages.

    data/clean/<source-id>.txt    the text the bot learns from: paragraphs separated by
                                  one blank line, each prose paragraph on one line
                                  (unwrapped); verse stanzas and a play's speeches keep
                                  their line breaks (single newlines inside the paragraph);
                                  chapter titles stay in the text as their own paragraph
    data/clean/<source-id>.json   {"id", "title", "author", "language", "source_url",
                                   "raw_sha256", "raw_file", "source" (gutenberg|files),
                                   "kind" (prose|play), "encoding", "newline",
                                   "persons" (plays), "removed": [{"what", "start_line",
                                   "end_line", "preview"}...],
                                   "chapters": [{"title", "start", "end"}...]}

`removed[].start_line/end_line` are 1-based lines of the raw file in data/raw/.

`chapters[i].start/end` are character offsets of the chapter's body (after its
title) into the .txt; extractors never cut across them. A text with no detected
chapters has one chapter spanning everything. Text outside every chapter (a play's
list of persons, kept so speaker labels can be expanded) is reference, not prose
to learn from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.atomic import write_json, write_text
from botsmith.errors import BotsmithError


@dataclass(frozen=True)
class Chapter:
    title: str
    start: int
    end: int


@dataclass
class CleanSource:
    id: str
    text: str
    chapters: list[Chapter]
    meta: dict[str, Any] = field(default_factory=dict)

    def chapter_texts(self) -> list[tuple[Chapter, str]]:
        return [(chapter, self.text[chapter.start:chapter.end]) for chapter in self.chapters]


def save_clean_source(clean_dir: Path, source: CleanSource) -> Path:
    """Write the .txt first, then the .json: a source counts as present once its .json exists."""
    text_path = clean_dir / f"{source.id}.txt"
    write_text(text_path, source.text)
    chapters = [{"title": c.title, "start": c.start, "end": c.end} for c in source.chapters]
    write_json(clean_dir / f"{source.id}.json", {**source.meta, "id": source.id, "chapters": chapters})
    return text_path


def load_clean_source(json_path: Path) -> CleanSource:
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
        text = json_path.with_suffix(".txt").read_text(encoding="utf-8")
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BotsmithError(f"{json_path}: unreadable cleaned source ({error})", hint="run 'botsmith add' again") from None
    chapters = [Chapter(c["title"], c["start"], c["end"]) for c in meta.pop("chapters", [])] or [Chapter("", 0, len(text))]
    return CleanSource(meta.pop("id", json_path.stem), text, chapters, meta)


def load_clean_sources(clean_dir: Path) -> list[CleanSource]:
    """Every cleaned source of a bot, in name order."""
    if not clean_dir.is_dir():
        return []
    return [load_clean_source(path) for path in sorted(clean_dir.glob("*.json"))]
