"""Project Gutenberg's own catalogue (`/cache/epub/feeds/pg_catalog.csv`), cached
under $BOTSMITH_HOME/gutenberg/ and fetched again at most once a day.

The CSV has one row per book: Text#, Type, Issued, Title, Language, Authors,
Subjects, LoCC, Bookshelves. Authors read "Austen, Jane, 1775-1817; ..." and
languages "en" or "en; fr".
"""

from __future__ import annotations

import csv
import io
import json
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from botsmith.atomic import write_bytes, write_json
from botsmith.errors import BotsmithError
from botsmith.models.cache import botsmith_home
from botsmith.sources.http import Fetcher, FetchError

CATALOG_PATH = "/cache/epub/feeds/pg_catalog.csv"
MAX_AGE_SECONDS = 24 * 3600
_REQUIRED_COLUMNS = {"Text#", "Type", "Title", "Language", "Authors"}


@dataclass(frozen=True)
class Book:
    id: int
    title: str
    authors: str
    language: str

    @property
    def source_id(self) -> str:
        return f"pg{self.id}"

    def first_author(self) -> str:
        """"Austen, Jane, 1775-1817; Saintsbury, ..." -> "Jane Austen"."""
        first = self.authors.split(";")[0].strip()
        parts = [part.strip() for part in first.split(",")]
        names = [part for part in parts if part and not any(char.isdigit() for char in part)]
        return " ".join(reversed(names[:2])) if len(names) >= 2 else (names[0] if names else "")


def gutenberg_dir() -> Path:
    return botsmith_home() / "gutenberg"


def catalog_file(mirror: str, fetcher: Fetcher, *, refresh: bool = False, log=print) -> Path:
    """The cached catalogue, fetched when missing, older than a day, or from another mirror."""
    path = gutenberg_dir() / "pg_catalog.csv"
    info_path = path.with_suffix(".json")
    info = _read_info(info_path)
    fresh = info.get("mirror") == mirror and time.time() - float(info.get("fetched_at", 0)) < MAX_AGE_SECONDS
    if path.exists() and fresh and not refresh:
        return path
    url = mirror.rstrip("/") + CATALOG_PATH
    try:
        response = fetcher.get(url)
    except FetchError as error:
        if path.exists():  # an old catalogue is better than none when the site is down
            log(f"warning: could not refresh the Gutenberg catalogue ({error}); using the copy from "
                f"{time.strftime('%Y-%m-%d', time.localtime(float(info.get('fetched_at', 0))))}")
            return path
        raise BotsmithError(f"Gutenberg catalogue: {error}", hint="check --mirror or your connection") from None
    _check_catalog(response.data, url)
    write_bytes(path, response.data)
    write_json(info_path, {"mirror": mirror, "url": url, "fetched_at": time.time()})
    return path


def _read_info(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _check_catalog(data: bytes, url: str) -> None:
    head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    columns = set(next(csv.reader(io.StringIO(head)), []))
    if not _REQUIRED_COLUMNS <= columns:
        raise BotsmithError(f"Gutenberg catalogue at {url} is not the pg_catalog.csv feed "
                            f"(expected columns {', '.join(sorted(_REQUIRED_COLUMNS))})",
                            hint="check --mirror points at a Gutenberg site root")


def read_catalog(path: Path) -> list[Book]:
    """Every text (not audio) book in the catalogue."""
    books = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            number = row.get("Text#") or ""
            if row.get("Type", "Text") != "Text" or not (number.isascii() and number.isdigit() and len(number) <= 9):
                continue
            books.append(Book(int(row["Text#"]), " ".join(row["Title"].split()), row.get("Authors", ""),
                              row.get("Language", "")))
    return books


def _fold(text: str) -> str:
    """Lowercase without accents, so "Bronte" finds "Brontë"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text: str) -> list[str]:
    return "".join(char if char.isalnum() else " " for char in _fold(text)).split()


def matches(book: Book, *, author: str | None, title: str | None, language: str | None) -> bool:
    """Every word of `author` starts a word of the authors; every word of `title` is in the title."""
    if language and language.casefold() not in [code.strip().casefold() for code in book.language.split(";")]:
        return False
    if author:
        names = _words(book.authors)
        if not all(any(name.startswith(word) for name in names) for word in _words(author)):
            return False
    if title:
        folded = _fold(book.title)
        if not all(word in folded for word in _words(title)):
            return False
    return True


def filter_books(books: list[Book], *, author: str | None = None, title: str | None = None,
                 language: str | None = None, limit: int | None = None) -> list[Book]:
    found = [book for book in books if matches(book, author=author, title=title, language=language)]
    found.sort(key=lambda book: book.id)  # low numbers are the long-standing, most-read editions
    return found[:limit] if limit else found
