"""Project Gutenberg as a source: search the catalogue, download plain-text books
into a bot, cached under $BOTSMITH_HOME/gutenberg/books/ by book number.

A book is tried at `/cache/epub/{id}/pg{id}.txt`, then at the other places
Gutenberg has kept plain text over the years. A download only reaches the cache
and the bot once it is known to be a non-empty Gutenberg text that cleans; so an
interrupted or failed batch leaves nothing half-written, and running it again
resumes where it stopped (books already in the cache are not fetched again).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from botsmith.atomic import write_bytes, write_json
from botsmith.bot_folder import open_bot
from botsmith.config import BotConfig, SourcesSection
from botsmith.errors import BotsmithError
from botsmith.sources.catalog import Book, catalog_file, filter_books, gutenberg_dir, read_catalog
from botsmith.sources.clean import CleanResult, clean_text
from botsmith.sources.http import Fetcher, FetchError
from botsmith.sources.ingest import AddReport, Log, already_added, run_item, sha256, store_source

MIRROR_ENV = "BOTSMITH_GUTENBERG_MIRROR"
# Book numbers have at most 9 digits: a longer one is a mistake, not a book (and int() refuses 4,300 digits).
_BOOK_NUMBER = re.compile(r"^(?:pg)?(\d{1,9})$|/ebooks/(\d{1,9})\b|/epub/(\d{1,9})\b|/files/(\d{1,9})\b",
                          re.IGNORECASE | re.ASCII)


@dataclass
class Download:
    book_id: int
    url: str
    data: bytes
    result: CleanResult
    cached: bool


def resolve_mirror(mirror: str | None = None, section: SourcesSection | None = None) -> str:
    """--mirror, then $BOTSMITH_GUTENBERG_MIRROR, then the bot config, then gutenberg.org."""
    chosen = mirror or os.environ.get(MIRROR_ENV) or (section or SourcesSection()).gutenberg_mirror
    if not re.match(r"^https?://", chosen):
        raise BotsmithError(f"Gutenberg mirror {chosen!r} is not an http(s) URL", hint="e.g. https://www.gutenberg.org")
    return chosen.rstrip("/")


def make_fetcher(section: SourcesSection | None = None) -> Fetcher:
    section = section or SourcesSection()
    # after a failure, wait longer than the polite delay: backoff, 2x, 4x ...
    return Fetcher(timeout=section.gutenberg_timeout, retries=section.gutenberg_retries,
                   delay=section.gutenberg_delay, backoff=max(section.gutenberg_delay, 0.1),
                   deadline=section.gutenberg_deadline, max_bytes=section.gutenberg_max_bytes)


def book_urls(mirror: str, book_id: int) -> list[str]:
    """Where Gutenberg keeps a book's plain text, newest layout first."""
    return [f"{mirror}/cache/epub/{book_id}/pg{book_id}.txt", f"{mirror}/files/{book_id}/{book_id}-0.txt",
            f"{mirror}/files/{book_id}/{book_id}.txt", f"{mirror}/ebooks/{book_id}.txt.utf-8",
            f"{mirror}/files/{book_id}/{book_id}-8.txt"]


def parse_book_id(item: str) -> int:
    match = _BOOK_NUMBER.search(item.strip())
    if not match:
        raise BotsmithError(f"{item!r} is not a Gutenberg book number", hint="use the number, e.g. 1342")
    return int(next(group for group in match.groups() if group))


def search_gutenberg(author: str | None = None, title: str | None = None, language: str | None = None, *,
                     limit: int | None = None, mirror: str | None = None, refresh: bool = False,
                     config: BotConfig | None = None, log: Log = print) -> list[Book]:
    """Books of the Gutenberg catalogue matching every given field, lowest number first."""
    if not (author or title or language):
        raise BotsmithError("say what to search for", hint="give --author, --title or --language")
    section = config.sources if config else None
    path = catalog_file(resolve_mirror(mirror, section), make_fetcher(section), refresh=refresh, log=log)
    return filter_books(read_catalog(path), author=author, title=title, language=language, limit=limit)


def fetch_book(book_id: int, mirror: str, fetcher: Fetcher) -> Download:
    """A book from the cache, or downloaded, checked and then cached."""
    cached = _from_cache(book_id)
    if cached:
        return cached
    problems: list[str] = []
    for url in book_urls(mirror, book_id):
        try:
            response = fetcher.get(url)
        except FetchError as error:
            if error.kind == "not_found":
                continue
            raise BotsmithError(f"pg{book_id}: {error.detail} at {url}", hint="try again later or use --mirror") from None
        problem, result = _check_download(book_id, url, response.data, response.content_type)
        if result is None:
            problems.append(problem)
            continue
        _save_cache(book_id, url, response.data)
        return Download(book_id, url, response.data, result, cached=False)
    if problems:
        raise BotsmithError(problems[0])
    raise BotsmithError(f"pg{book_id}: no such book on {mirror} (none of {len(book_urls(mirror, book_id))} "
                        "plain-text URLs exists)", hint="find the number with 'botsmith gutenberg search'")


def _check_download(book_id: int, url: str, data: bytes, content_type: str) -> tuple[str, CleanResult | None]:
    """Why a response is not a usable book, or its cleaned form."""
    head = data[:1024].lstrip().lower()
    if not data.strip():
        return f"pg{book_id}: {url} is an empty file", None
    if "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return f"pg{book_id}: {url} returned an HTML page instead of plain text", None
    try:
        result = clean_text(data, name=f"pg{book_id} ({url})")
    except BotsmithError as error:
        return error.message, None
    if not result.gutenberg and not _mentions_gutenberg(data):
        return f"pg{book_id}: {url} is not a Project Gutenberg text (no Gutenberg header or footer)", None
    return "", result


def _mentions_gutenberg(data: bytes) -> bool:
    """Some old files lack the usual markers but still name the project near an end."""
    return b"project gutenberg" in data[:20_000].lower() or b"project gutenberg" in data[-30_000:].lower()


def _cache_paths(book_id: int) -> tuple[Path, Path]:
    folder = gutenberg_dir() / "books"
    return folder / f"pg{book_id}.txt", folder / f"pg{book_id}.json"


def _from_cache(book_id: int) -> Download | None:
    text_path, info_path = _cache_paths(book_id)
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        data = text_path.read_bytes()
    except (OSError, ValueError):
        return None
    if sha256(data) != info.get("sha256"):
        return None  # damaged or replaced by hand: fetch it again
    return Download(book_id, info.get("url", ""), data, clean_text(data, name=f"pg{book_id}"), cached=True)


def _save_cache(book_id: int, url: str, data: bytes) -> None:
    text_path, info_path = _cache_paths(book_id)
    write_bytes(text_path, data)
    write_json(info_path, {"id": book_id, "url": url, "sha256": sha256(data), "bytes": len(data)})


def add_gutenberg(bot_dir: str | Path = ".", ids: Iterable[str | int] = (), *, author: str | None = None,
                  title: str | None = None, language: str | None = None, limit: int | None = None,
                  mirror: str | None = None, force: bool = False, log: Log = print,
                  show_progress: bool = False) -> AddReport:
    """Download Gutenberg books (by number, or the first `limit` matches of a search) into a bot."""
    if limit is not None and not (author or title):
        raise BotsmithError("--limit applies to --author/--title searches", hint="add --author or drop --limit")
    folder = open_bot(bot_dir)
    config = folder.config()
    mirror_url = resolve_mirror(mirror, config.sources)
    fetcher = make_fetcher(config.sources)
    books: dict[int, Book | None] = {}
    report = AddReport()
    for item in ids:
        try:
            books.setdefault(parse_book_id(str(item)), None)
        except BotsmithError as error:
            report.failed.append((str(item), error.message))
            log(f"failed: {error.message} ({error.hint})")
    if author or title:
        found = search_gutenberg(author, title, language, limit=limit, mirror=mirror_url, config=config, log=log)
        if not found:
            raise BotsmithError(f"no Gutenberg book matches author={author!r} title={title!r}",
                                hint="try 'botsmith gutenberg search' with fewer words")
        books.update({book.id: book for book in found if book.id not in books})
    if not books and not report.failed:
        raise BotsmithError("no books given", hint="give book numbers or --author/--title")
    with _progress(show_progress, len(books), log) as (advance, say):
        for book_id, book in books.items():
            advance(f"pg{book_id}")
            run_item(report, f"pg{book_id}", lambda: _add_one(folder, book_id, book, mirror_url, fetcher, force), say)
    return report


def _add_one(folder, book_id: int, book: Book | None, mirror: str, fetcher: Fetcher, force: bool):
    raw_path = folder.raw_dir / f"pg{book_id}.txt"
    if not force and raw_path.exists() and already_added(folder, f"pg{book_id}", sha256(raw_path.read_bytes())):
        return None  # in the bot already: no need to ask the network, even with an empty cache
    download = fetch_book(book_id, mirror, fetcher)
    if not force and already_added(folder, f"pg{book_id}", sha256(download.data)):
        return None
    meta = {"source": "gutenberg", "source_url": download.url, "ebook_id": book_id}
    if book:
        meta.update(title=book.title, author=book.first_author(), language=book.language.split(";")[0].strip())
    return store_source(folder, f"pg{book_id}", download.data, f"pg{book_id}.txt", download.result, meta)


@contextmanager
def _progress(show: bool, total: int, log: Log) -> Iterator[tuple]:
    """A rich progress bar on stderr (or nothing); yields (advance(label), log(line))."""
    if not show:
        yield (lambda label: None), log
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Gutenberg", total=total)
        started = [False]

        def advance(label: str) -> None:
            if started[0]:
                progress.advance(task)
            started[0] = True
            progress.update(task, description=f"Gutenberg {label}")

        yield advance, log  # rich shows lines written meanwhile above the bar
        progress.update(task, completed=total)
