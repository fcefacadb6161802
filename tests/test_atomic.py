"""Atomic writes: all or nothing under the final name, with ordinary permissions."""

from __future__ import annotations

import os

import pytest

from botsmith.atomic import atomic_dir, atomic_file, write_text


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "data.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as handle:
            handle.write("half of the new")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]


def test_files_and_folders_get_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
        with atomic_dir(tmp_path / "folder") as folder:
            (folder / "inside").write_text("y")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "folder").stat().st_mode & 0o777 == 0o755


def test_atomic_dir_replaces_only_when_complete(tmp_path):
    target = tmp_path / "ckpt"
    with atomic_dir(target) as folder:
        (folder / "weights").write_text("v1")
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(target) as folder:
            (folder / "weights").write_text("v2-partial")
            raise KeyboardInterrupt
    assert (target / "weights").read_text() == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
    with pytest.raises(FileExistsError):
        with atomic_dir(target, replace=False):
            pass
