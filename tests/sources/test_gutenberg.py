"""Gutenberg search and downloads against a real local HTTP server with gutenberg.org's layout."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from botsmith.errors import BotsmithError
from botsmith.sources import add_gutenberg, search_gutenberg
from botsmith.sources.catalog import gutenberg_dir
from botsmith.sources.cleaned import load_clean_source, load_clean_sources
from botsmith.sources.gutenberg import book_urls, parse_book_id, resolve_mirror


def quiet(line: str) -> None:
    pass


def test_search_by_author_title_and_language(local_gutenberg):
    austen = search_gutenberg(author="Austen", log=quiet)
    assert [book.id for book in austen] == [105, 158, 1342, 21839]  # text only (no audio), lowest number first
    assert austen[0].first_author() == "Jane Austen"
    assert [b.id for b in search_gutenberg(author="Jane Austen", language="fr", log=quiet)] == [21839]
    assert [b.id for b in search_gutenberg(author="austen", title="pride", log=quiet)] == [1342]
    assert [b.id for b in search_gutenberg(author="Bronte", log=quiet)] == [1260]  # accents folded
    assert search_gutenberg(author="Nobody Atall", log=quiet) == []


def test_catalog_is_cached_and_refreshed_at_most_daily(local_gutenberg):
    feed = "/cache/epub/feeds/pg_catalog.csv"
    search_gutenberg(author="Austen", log=quiet)
    search_gutenberg(title="Emma", log=quiet)
    assert local_gutenberg.hits[feed] == 1
    info_path = gutenberg_dir() / "pg_catalog.json"
    info = json.loads(info_path.read_text())
    info["fetched_at"] = time.time() - 25 * 3600
    info_path.write_text(json.dumps(info))
    search_gutenberg(title="Emma", log=quiet)
    assert local_gutenberg.hits[feed] == 2


def test_stale_catalog_is_used_when_the_site_is_down(local_gutenberg):
    search_gutenberg(author="Austen", log=quiet)
    del local_gutenberg.routes["/cache/epub/feeds/pg_catalog.csv"]
    warnings = []
    assert search_gutenberg(author="Austen", refresh=True, log=warnings.append)
    assert "could not refresh" in warnings[0]


def test_search_rejects_a_page_that_is_not_the_catalog(local_gutenberg):
    local_gutenberg.routes["/cache/epub/feeds/pg_catalog.csv"].body = b"<html>moved</html>"
    with pytest.raises(BotsmithError, match="not the pg_catalog.csv feed"):
        search_gutenberg(author="Austen", log=quiet)


def test_add_by_ids_writes_raw_clean_text_and_metadata(local_gutenberg, bot):
    report = add_gutenberg(bot, ["1342", "158"], log=quiet)
    assert report.ok and [a.id for a in report.added] == ["pg1342", "pg158"]
    raw = (bot / "data/raw/pg158.txt").read_bytes()
    assert raw == local_gutenberg.routes["/cache/epub/158/pg158.txt"].body  # as downloaded (cp1252)
    source = load_clean_source(bot / "data/clean/pg158.json")
    assert source.text.startswith("CHAPTER I.\n\nIt was a wet grey morning in March, and the ferry bell was ringing late.")
    assert source.text.rstrip().endswith("until the light was gone.")
    assert "START OF THE PROJECT" not in source.text and "_nobody_" not in source.text
    assert "\u201cWho is there?\u201d said he, and nobody answered." in source.text
    meta = source.meta
    assert meta["title"] == "Emma" and meta["author"] == "Jane Austen" and meta["language"] == "en"
    assert meta["source_url"] == f"{local_gutenberg.url}/cache/epub/158/pg158.txt"
    assert len(meta["raw_sha256"]) == 64 and meta["encoding"] == "cp1252"
    assert [entry["what"] for entry in meta["removed"]] == ["gutenberg header", "gutenberg licence footer"]
    assert [c.title for c in source.chapters] == ["CHAPTER I.", "CHAPTER II."]


def test_fallback_urls_are_tried(local_gutenberg, bot):
    report = add_gutenberg(bot, ["11", "pg12"], log=quiet)
    assert report.ok
    urls = [load_clean_source(bot / f"data/clean/pg{n}.json").meta["source_url"] for n in (11, 12)]
    assert urls == [f"{local_gutenberg.url}/files/11/11-0.txt", f"{local_gutenberg.url}/ebooks/12.txt.utf-8"]


def test_a_flaky_server_is_retried(local_gutenberg, bot):
    assert add_gutenberg(bot, ["105"], log=quiet).ok
    assert local_gutenberg.hits["/cache/epub/105/pg105.txt"] == 2


@pytest.mark.parametrize("book, words", [
    ("999", "pg999: no such book"),
    ("500", "pg500: .* returned an HTML page"),
    ("501", "pg501: timed out"),
    ("600", "pg600: .* empty"),
    ("601", "pg601 .*binary data"),
    ("602", "pg602: .* not a Project Gutenberg text"),
    ("abc", "'abc' is not a Gutenberg book number"),
    ("7" * 5000, "'7777.* is not a Gutenberg book number"),
    ("https://www.gutenberg.org/ebooks/" + "7" * 5000, "is not a Gutenberg book number"),
    ("700", r"pg700: the connection broke off after \d+ bytes"),
    ("701", "pg701: the connection broke off"),
    ("702", "pg702: not a valid HTTP reply"),
])
def test_bad_books_fail_alone_and_leave_nothing_behind(local_gutenberg, bot, book, words):
    report = add_gutenberg(bot, [book, "1342"], log=quiet)
    assert [a.id for a in report.added] == ["pg1342"]
    assert len(report.failed) == 1
    item, message = report.failed[0]
    assert book in item
    assert __import__("re").search(words, message), message
    assert sorted(p.name for p in (bot / "data/raw").iterdir()) == ["pg1342.txt"]
    assert sorted(p.name for p in (bot / "data/clean").iterdir()) == ["pg1342.json", "pg1342.txt"]
    cached = sorted(p.name for p in (gutenberg_dir() / "books").iterdir())
    assert cached == ["pg1342.json", "pg1342.txt"]


def test_rerun_resumes_from_the_cache(local_gutenberg, bot):
    add_gutenberg(bot, ["1342"], log=quiet)
    (bot / "data/clean/pg1342.json").unlink()  # as if interrupted before the metadata was written
    report = add_gutenberg(bot, ["1342", "158"], log=quiet)
    assert [a.id for a in report.added] == ["pg1342", "pg158"]
    assert local_gutenberg.hits["/cache/epub/1342/pg1342.txt"] == 1  # served from the cache the second time
    shutil.rmtree(gutenberg_dir() / "books")
    again = add_gutenberg(bot, ["1342", "158"], log=quiet)
    assert again.skipped == ["pg1342", "pg158"] and not again.added
    assert local_gutenberg.hits["/cache/epub/1342/pg1342.txt"] == 1  # the bot's own copy was enough


def test_damaged_cache_entry_is_fetched_again(local_gutenberg, bot):
    add_gutenberg(bot, ["1342"], log=quiet)
    (gutenberg_dir() / "books" / "pg1342.txt").write_bytes(b"truncated")
    add_gutenberg(bot, ["1342"], force=True, log=quiet)
    assert local_gutenberg.hits["/cache/epub/1342/pg1342.txt"] == 2


def test_add_by_author_with_limit(local_gutenberg, bot):
    report = add_gutenberg(bot, author="Jane Austen", language="en", limit=2, log=quiet)
    assert [a.id for a in report.added] == ["pg105", "pg158"]
    assert {s.id for s in load_clean_sources(bot / "data/clean")} == {"pg105", "pg158"}


def test_add_by_unknown_author_is_an_error(local_gutenberg, bot):
    with pytest.raises(BotsmithError, match="no Gutenberg book matches"):
        add_gutenberg(bot, author="Nobody Atall", log=quiet)


def test_mirror_comes_from_flag_then_env_then_config(monkeypatch):
    from botsmith.config import SourcesSection

    section = SourcesSection(gutenberg_mirror="https://config.example/")
    monkeypatch.delenv("BOTSMITH_GUTENBERG_MIRROR", raising=False)
    assert resolve_mirror(None, section) == "https://config.example"
    monkeypatch.setenv("BOTSMITH_GUTENBERG_MIRROR", "http://env.example")
    assert resolve_mirror(None, section) == "http://env.example"
    assert resolve_mirror("http://flag.example", section) == "http://flag.example"
    with pytest.raises(BotsmithError, match="not an http"):
        resolve_mirror("ftp://old.example")


def test_book_urls_and_ids():
    assert book_urls("https://m", 5)[0] == "https://m/cache/epub/5/pg5.txt"
    assert parse_book_id("https://www.gutenberg.org/ebooks/1342") == 1342
    assert parse_book_id("PG158") == 158
