"""Putting a source into a bot: the raw bytes into data/raw/, the cleaned text and
its metadata into data/clean/, and a report of what was added, skipped and failed.

Every source type goes through `store_source`, so every text is cleaned the same way.
A batch never stops at a bad item: its error is recorded and the others go on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.atomic import write_bytes
from botsmith.bot_folder import BotFolder
from botsmith.errors import BotsmithError
from botsmith.sources.clean import CleanResult
from botsmith.sources.cleaned import save_clean_source

Log = Callable[[str], None]


@dataclass
class AddedSource:
    id: str
    title: str
    author: str
    text_path: Path
    chars: int
    chapters: int
    removed: int  # manifest entries

    def summary(self) -> str:
        who = f" by {self.author}" if self.author else ""
        return (f"{self.id}: {self.title or '(untitled)'}{who} -> {self.text_path} "
                f"({self.chars:,} characters, {self.chapters} chapters, {self.removed} removals in the manifest)")


@dataclass
class AddReport:
    added: list[AddedSource] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ids already in the bot
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item, message)

    @property
    def ok(self) -> bool:
        return not self.failed

    def merge(self, other: "AddReport") -> None:
        self.added += other.added
        self.skipped += other.skipped
        self.failed += other.failed


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "text"


def already_added(folder: BotFolder, source_id: str, raw_sha: str) -> bool:
    """A source counts as present once its .json exists and was made from the same bytes."""
    import json

    path = folder.clean_dir / f"{source_id}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("raw_sha256") == raw_sha
    except (OSError, ValueError):
        return False


def store_source(folder: BotFolder, source_id: str, raw: bytes, raw_name: str, result: CleanResult,
                 meta: dict[str, Any]) -> AddedSource:
    """Write data/raw/<raw_name> and data/clean/<source_id>.txt/.json (each atomically)."""
    write_bytes(folder.raw_dir / raw_name, raw)
    full_meta = {"title": meta.get("title") or result.fields.get("title", ""),
                 "author": meta.get("author") or result.fields.get("author", ""),
                 "language": meta.get("language") or language_code(result.fields.get("language", "")),
                 "source_url": meta.get("source_url", ""), "raw_file": f"data/raw/{raw_name}",
                 "raw_sha256": sha256(raw), **{k: v for k, v in meta.items() if k not in ("title", "author", "language")}}
    source = result.to_source(source_id, full_meta)
    text_path = save_clean_source(folder.clean_dir, source)
    return AddedSource(source_id, full_meta["title"], full_meta["author"], text_path, len(source.text),
                       len(source.chapters), len(result.removed))


_LANGUAGE_CODES = {"english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it",
                   "portuguese": "pt", "dutch": "nl", "finnish": "fi", "swedish": "sv", "latin": "la",
                   "russian": "ru", "chinese": "zh", "danish": "da", "norwegian": "no", "greek": "el"}


def language_code(name: str) -> str:
    """Gutenberg headers say "Language: English"; the catalogue says "en"."""
    cleaned = name.strip().lower()
    return _LANGUAGE_CODES.get(cleaned, cleaned)


def run_item(report: AddReport, item: str, action: Callable[[], AddedSource | None], log: Log) -> None:
    """Run one item of a batch; a BotsmithError becomes a failure line, the batch goes on."""
    try:
        added = action()
    except BotsmithError as error:
        message = error.message + (f" ({error.hint})" if error.hint else "")
        report.failed.append((item, message))
        log(f"failed: {message}")
        return
    if added is None:
        report.skipped.append(item)
        log(f"{item}: already in the bot, skipped")
    else:
        report.added.append(added)
        log(added.summary())
