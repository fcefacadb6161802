"""Exports that arrive zipped: WhatsApp's "Export chat" with media (`_chat.txt` inside), a Slack
workspace export, a Telegram export folder. Errors name the zip and the member.

A zip is a few hundred bytes that may unpack to gigabytes, so only what is about to be parsed is
unpacked: candidates are tried one at a time, best first, each unpacked into a temporary folder
(gone when the parse is done) only when its turn comes, and all of them together may unpack to
at most MAX_UNPACKED_BYTES. A zip inside the zip is not opened.
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from botsmith.errors import BotsmithError

TEXT_SUFFIXES = {".txt", ".json", ".csv", ".jsonl"}
MAX_UNPACKED_BYTES = 512 << 20  # more text than any chat export a person would train on


def is_zip(path: Path) -> bool:
    return path.is_file() and zipfile.is_zipfile(path)


@contextlib.contextmanager
def unpacked(path: Path) -> Iterator[Iterator[Path]]:
    """The zip's candidates (a Slack root folder, then _chat.txt / result.json, then the other text
    members), each unpacked when the iteration reaches it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BotsmithError(f"{path}: damaged zip archive ({error})") from None
    with archive, tempfile.TemporaryDirectory(prefix="botsmith-zip-") as tmp:
        members = [info for info in archive.infolist() if not info.is_dir()
                   and PurePosixPath(info.filename).suffix.lower() in TEXT_SUFFIXES
                   and not PurePosixPath(info.filename).name.startswith(".")
                   and "__MACOSX" not in info.filename]
        yield _unpack_in_turn(archive, path, Path(tmp), members)


def _unpack_in_turn(archive: zipfile.ZipFile, path: Path, root: Path,
                    members: list[zipfile.ZipInfo]) -> Iterator[Path]:
    unpacked_bytes = 0
    for name, group in _candidates(members):
        unpacked_bytes += sum(info.file_size for info in group)  # zipfile never inflates past file_size
        if unpacked_bytes > MAX_UNPACKED_BYTES:
            raise BotsmithError(f"{path}: unpacking {name} would take more than {MAX_UNPACKED_BYTES >> 20} MiB",
                                hint="unzip the archive yourself and give the chat file or folder") from None
        try:
            for info in group:
                archive.extract(info, root)  # extract() drops absolute paths and '..' parts
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise BotsmithError(f"{path}: damaged zip archive ({error})") from None
        yield root / name


def _candidates(members: list[zipfile.ZipInfo]) -> list[tuple[str, list[zipfile.ZipInfo]]]:
    """(name inside the zip, the members it needs), best first."""
    names = {info.filename: info for info in members}
    slack = sorted({str(PurePosixPath(name).parent) for name in names if PurePosixPath(name).name == "users.json"},
                   key=lambda folder: len(PurePosixPath(folder).parts))
    found = [(folder, [info for name, info in names.items() if _inside(name, folder)]) for folder in slack]
    preferred = [name for name in names if PurePosixPath(name).name in ("_chat.txt", "result.json")]
    others = sorted((name for name in names if name not in preferred),
                    key=lambda name: (len(PurePosixPath(name).parts), name))
    return found + [(name, [names[name]]) for name in preferred + others]


def _inside(name: str, folder: str) -> bool:
    return folder == "." or name.startswith(folder.rstrip("/") + "/")
