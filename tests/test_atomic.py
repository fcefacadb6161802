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


def test_the_umask_is_never_changed(tmp_path, monkeypatch):
    changes = []
    real_umask = os.umask
    monkeypatch.setattr(os, "umask", lambda mask: changes.append(mask) or real_umask(mask))
    old = real_umask(0o077)
    try:
        write_text(tmp_path / "private.txt", "x")
        with atomic_dir(tmp_path / "private") as folder:
            (folder / "inside").write_text("y")
    finally:
        real_umask(old)
    assert changes == []  # a umask(0) even for a moment gives other threads' files mode 666
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "private").stat().st_mode & 0o777 == 0o700


def version(folder) -> str:
    return (folder / "weights").read_text()


def test_replacing_a_folder_never_leaves_its_name_empty(tmp_path, monkeypatch):
    target = tmp_path / "last"
    with atomic_dir(target) as folder:
        (folder / "weights").write_text("v1")
    real_replace, seen = os.replace, []

    def replace_and_look(source, destination):  # the state after every rename the swap makes
        real_replace(source, destination)
        seen.append(target.is_dir() and version(target))

    monkeypatch.setattr(os, "replace", replace_and_look)
    for number in range(2, 5):
        with atomic_dir(target) as folder:
            (folder / "weights").write_text(f"v{number}")
        assert version(target) == f"v{number}"
    assert False not in seen
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]


def test_without_an_exchange_a_swap_cut_in_half_is_put_back(tmp_path, monkeypatch):
    from botsmith import atomic
    from botsmith.train.rundir import find_resumable

    run = tmp_path / "runs" / "20260101-120000"
    target = run / "last"
    with atomic_dir(target) as folder:
        (folder / "weights").write_text("v1")
    (run / "summary.json").write_text('{"status": "interrupted"}')
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)  # a system without renameat2
    real_replace = os.replace

    def killed_between_the_renames(source, destination):
        real_replace(source, destination)
        if destination.name.endswith(".old"):
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed_between_the_renames)
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(target) as folder:
            (folder / "weights").write_text("v2")
    monkeypatch.setattr(os, "replace", real_replace)
    assert not target.exists()  # the moment a two-rename swap cannot avoid
    assert find_resumable(tmp_path / "runs").path == run and version(target) == "v1"
    with atomic_dir(target) as folder:
        (folder / "weights").write_text("v3")
    assert version(target) == "v3" and sorted(p.name for p in run.iterdir()) == ["last", "summary.json"]


def test_temporary_folders_of_killed_writers_are_removed(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "last"
    script = ("import os, sys; from botsmith.atomic import atomic_dir\n"
              f"with atomic_dir({str(target)!r}) as folder:\n"
              "    (folder / 'weights').write_text('half')\n"
              "    os._exit(9)  # killed while writing: no cleanup runs\n")
    subprocess.run([sys.executable, "-c", script], check=False)
    stale = [p.name for p in tmp_path.iterdir()]
    assert len(stale) == 1 and stale[0].startswith(".last.") and stale[0].endswith(".tmp")
    alive = tmp_path / f".last.{os.getpid()}.0123abcd.tmp"  # a writer still at work is left alone
    alive.mkdir()
    other = tmp_path / ".last.5.notes.9.0123abcd.tmp"  # not one of ours
    other.mkdir()
    with atomic_dir(target) as folder:
        (folder / "weights").write_text("whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["last", alive.name, other.name])
