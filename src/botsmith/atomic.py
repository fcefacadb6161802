"""Writes that never leave a half-written file under its final name.

Everything botsmith writes for the user (datasets, checkpoints, exports, the model
cache) goes through a temporary sibling and an `os.replace`, so an interrupted or
failed write leaves either the old content or nothing. A folder that already
exists is exchanged with its new version in one step (Linux `renameat2`), so its
name never stands empty, not even for a moment; elsewhere the old one is moved
aside first and put back by the next write if the process dies in between.

Temporary siblings are named `.NAME.PID.RANDOM.tmp`: a folder left by a process
that was killed (its PID gone) is removed by the next write of the same folder.
They are created with mode 0o666 / 0o777 so the kernel applies the umask, which
is never read or changed (changing it, even for a moment, races other threads).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import glob
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any


def _new_sibling(path: Path, create: Callable[[Path], None]) -> Path:
    """A new, uniquely named temporary file or folder beside `path`."""
    for _ in range(100):
        candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            create(candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"cannot create a temporary file beside {path}")


def _create_file(path: Path) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside `path`, for writers that open the file themselves.

    On success it is synced and renamed to `path`; on any error (a full disk, Ctrl-C)
    it is removed and `path` keeps its old content, or stays absent.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_sibling(path, _create_file)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside `path`; on success it replaces `path`, on error it vanishes."""
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_file(path) as handle:
        handle.write(text)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_file(path, "wb") as handle:
        handle.write(data)


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[Any]) -> int:
    """Write one JSON object per line; returns how many were written."""
    count = 0
    with atomic_file(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; on success it becomes `path`.

    With `replace`, an existing `path` is swapped out only after the new folder is
    complete, so a crash at any moment leaves one whole version on disk.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    restore_interrupted_swap(path)
    _remove_stale_siblings(path)
    tmp = _new_sibling(path, lambda candidate: os.mkdir(candidate, 0o777))
    try:
        yield tmp
        if not path.exists():
            os.replace(tmp, path)
        elif not replace:
            raise FileExistsError(f"{path} already exists")
        elif not _exchange(tmp, path):
            _swap_in_two_renames(tmp, path)
    finally:  # after an exchange, tmp holds the old version
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in_two_renames(new: Path, path: Path) -> None:
    """Where folders cannot be exchanged: the old one is moved aside, then replaced; a crash in between
    leaves it at `.NAME.old`, which restore_interrupted_swap puts back."""
    old = _aside(path)
    shutil.rmtree(old, ignore_errors=True)
    os.replace(path, old)
    os.replace(new, path)
    shutil.rmtree(old, ignore_errors=True)


def _aside(path: Path) -> Path:
    return path.with_name(f".{path.name}.old")


def restore_interrupted_swap(path: str | os.PathLike[str]) -> None:
    """Put back a folder a two-rename swap had moved aside when the process died."""
    path = Path(path)
    if not path.exists() and _aside(path).is_dir():
        os.replace(_aside(path), path)


def _remove_stale_siblings(path: Path) -> None:
    """Temporary folders of `path` whose process is gone (killed while writing)."""
    for sibling in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        owner = re.fullmatch(r"(\d+)\.[0-9a-f]{8}\.tmp", sibling.name[len(path.name) + 2:])
        if owner and int(owner[1]) != os.getpid() and not _alive(int(owner[1])):
            shutil.rmtree(sibling, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # the kernel or file system cannot
        return False
    raise OSError(code, os.strerror(code), str(second))


@functools.cache
def _renameat2() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a C library older than glibc 2.28
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function
