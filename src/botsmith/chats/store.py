"""Chat exports kept in a bot: data/raw/chats/ holds copies (files, or Slack folders).

Adding copies, never moves, and parses every export first, so a file that is not a
chat is refused with its one-line error before anything is written. A format given
by hand is remembered in data/raw/chats/formats.json for the next build.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from botsmith.atomic import atomic_dir, write_bytes, write_json
from botsmith.bot_folder import BotFolder, open_bot
from botsmith.chats.registry import ChatParse, parse_chat
from botsmith.errors import BotsmithError

FORMATS_FILE = "formats.json"


@dataclass(frozen=True)
class AddedChat:
    path: Path  # the copy inside the bot
    format: str
    messages: int
    authors: list[str]  # most frequent first
    copied: bool  # False when an identical copy was already there
    warnings: list[str]


def chats_dir(folder: BotFolder) -> Path:
    return folder.raw_dir / "chats"


def add_chats(bot: str | Path | BotFolder, paths: list[str | Path], *, format: str | None = None) -> list[AddedChat]:
    """Check every export, then copy each into the bot's data/raw/chats/."""
    folder = bot if isinstance(bot, BotFolder) else open_bot(bot)
    parses = [parse_chat(path, format) for path in paths]  # all refused before any is copied
    return [_copy(folder, parse, format) for parse in parses]


def _copy(folder: BotFolder, parse: ChatParse, format: str | None) -> AddedChat:
    target_dir = chats_dir(folder)
    target, existing = _target(target_dir, parse.path)
    if not existing:
        if parse.path.is_dir():
            with atomic_dir(target, replace=False) as tmp:
                shutil.copytree(parse.path, tmp, dirs_exist_ok=True)
        else:
            write_bytes(target, parse.path.read_bytes())
    if format:
        remember_format(target_dir, target.name, format)
    counts: dict[str, int] = {}
    for message in parse.messages:
        if message.printed:
            counts[message.author] = counts.get(message.author, 0) + 1
    authors = sorted(counts, key=lambda name: -counts[name])
    return AddedChat(target, parse.format, len(parse.messages), authors, not existing, parse.warnings)


def _target(target_dir: Path, source: Path) -> tuple[Path, bool]:
    """A free name in the chats folder, or the existing identical copy."""
    stem, suffix = (source.name, "") if source.is_dir() else (source.stem, source.suffix)
    for number in range(1, 1000):
        candidate = target_dir / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        if not candidate.exists():
            return candidate, False
        if _same(source, candidate):
            return candidate, True
    raise BotsmithError(f"{target_dir}: too many exports named {source.name}")


def _same(source: Path, copy: Path) -> bool:
    if source.is_dir() != copy.is_dir():
        return False
    if source.is_file():
        return filecmp.cmp(source, copy, shallow=False)
    comparison = filecmp.dircmp(source, copy)
    return not (comparison.left_only or comparison.right_only or comparison.diff_files)


def remember_format(target_dir: Path, name: str, format: str) -> None:
    known = stored_formats(target_dir)
    known[name] = format
    write_json(target_dir / FORMATS_FILE, known)


def stored_formats(target_dir: Path) -> dict[str, str]:
    path = target_dir / FORMATS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        raise BotsmithError(f"{path}: not valid JSON", hint="fix or delete it (it maps export names to formats)") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BotsmithError(f"{path}: expected an object of export name -> format name")
    return data


def list_exports(folder: BotFolder) -> list[Path]:
    """The exports in data/raw/chats, in name order (hidden files and formats.json skipped)."""
    directory = chats_dir(folder)
    if not directory.is_dir():
        return []
    return [path for path in sorted(directory.iterdir())
            if not path.name.startswith(".") and path.name != FORMATS_FILE]
