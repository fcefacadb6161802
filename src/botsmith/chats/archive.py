"""Exports that arrive zipped: WhatsApp's "Export chat" with media (`_chat.txt` inside), a Slack
workspace export, a Telegram export folder. Only the text members are unpacked, into a
temporary folder that is gone when the parse is done; errors name the zip and the member.
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from botsmith.errors import BotsmithError

TEXT_SUFFIXES = {".txt", ".json", ".csv", ".jsonl"}
_MAX_MEMBER = 2 << 30  # a text member larger than 2 GiB is not a chat export


def is_zip(path: Path) -> bool:
    return path.is_file() and zipfile.is_zipfile(path)


@contextlib.contextmanager
def unpacked(path: Path) -> Iterator[list[Path]]:
    """The zip's text members on disk, best candidates first (a Slack root folder, then _chat.txt / result.json)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BotsmithError(f"{path}: damaged zip archive ({error})") from None
    with archive, tempfile.TemporaryDirectory(prefix="botsmith-zip-") as tmp:
        members = [info for info in archive.infolist() if not info.is_dir()
                   and PurePosixPath(info.filename).suffix.lower() in TEXT_SUFFIXES and info.file_size < _MAX_MEMBER
                   and not PurePosixPath(info.filename).name.startswith(".")
                   and "__MACOSX" not in info.filename]
        try:
            for info in members:
                archive.extract(info, tmp)  # extract() drops absolute paths and '..' parts
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise BotsmithError(f"{path}: damaged zip archive ({error})") from None
        yield _candidates(Path(tmp), [Path(tmp, info.filename) for info in members])


def _candidates(root: Path, files: list[Path]) -> list[Path]:
    slack = sorted({file.parent for file in files if file.name == "users.json"}, key=lambda p: len(p.parts))
    preferred = [file for file in files if file.name in ("_chat.txt", "result.json")]
    others = sorted((file for file in files if file not in preferred), key=lambda p: (len(p.parts), str(p)))
    return [*slack, *preferred, *others]
