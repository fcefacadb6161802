"""A local Gutenberg: an HTTP server on 127.0.0.1 with gutenberg.org's URL layout,
serving small fixture books, plus the broken cases a real mirror produces
(404, an HTML error page, a slow endpoint, a flaky one, empty and binary files,
bodies cut short, garbage instead of a status line, a slow drip, redirects).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from botsmith.bot_folder import new_bot
from botsmith.config import save_config

MODERN_HEADER = """\
The Project Gutenberg eBook of {title}

This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever.

Title: {title}

Author: {author}

Release date: June 1, 1998 [eBook #{id}]

Language: English

Credits: Volunteers

*** START OF THE PROJECT GUTENBERG EBOOK {upper} ***



"""
MODERN_FOOTER = """


*** END OF THE PROJECT GUTENBERG EBOOK {upper} ***

Updated editions will replace the previous one--the old editions will
be renamed.

START: FULL LICENSE

THE FULL PROJECT GUTENBERG LICENSE
PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK
"""

STORY = """\
CHAPTER I.

It was a wet grey morning in March, and the ferry bell was ringing
late. Nora Vance, her collar turned up against the salt wind off the
harbour, hurried along the quay towards the ticket office.

"Who is there?" said he, and _nobody_ answered.

CHAPTER II.

The waiting room smelt of tar and damp wool. At one end of it a
faded timetable, far too small to read from the door, had been pinned
to the wall, and she walked on until the light was gone.
"""


def gutenberg_book(book_id: int, title: str = "A Test Story", author: str = "Ann Author", story: str = STORY) -> str:
    fields = {"id": book_id, "title": title, "author": author, "upper": title.upper()}
    return MODERN_HEADER.format(**fields) + story + MODERN_FOOTER.format(**fields)


CATALOG = """\
Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves
1342,Text,1998-06-01,Pride and Prejudice,en,"Austen, Jane, 1775-1817",Courtship -- Fiction,PR,Best Books Ever Listings
158,Text,1994-02-01,Emma,en,"Austen, Jane, 1775-1817",Humorous stories,PR,
105,Text,1994-02-01,Persuasion,en,"Austen, Jane, 1775-1817",,PR,
21839,Text,2007-06-14,Persuasion,fr,"Austen, Jane, 1775-1817",,PR,
1260,Text,1998-03-01,"Jane Eyre: An Autobiography",en,"Brontë, Charlotte, 1816-1855",,PR,
19033,Sound,2006-08-01,Pride and Prejudice (audio),en,"Austen, Jane, 1775-1817",,,
11,Text,2008-06-27,Alice's Adventures in Wonderland,en,"Carroll, Lewis, 1832-1898",,PR,
"""


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"
    delay: float = 0.0
    fail_first: int = 0  # answer 503 this many times before succeeding
    # how to answer: "whole", "cut" (Content-Length promises more than is sent), "cut-chunked" (a chunked body
    # that stops mid-chunk), "garbage" (no HTTP status line), "drip" (one byte every `delay` seconds)
    shape: str = "whole"
    cut_first: int = 0  # answer in `shape` this many times, then whole
    location: str = ""  # with a 3xx status: where to


@dataclass
class LocalGutenberg:
    url: str
    routes: dict[str, Route]
    hits: Counter = field(default_factory=Counter)


def default_routes() -> dict[str, Route]:
    return {
        "/cache/epub/feeds/pg_catalog.csv": Route(CATALOG.encode(), content_type="text/csv"),
        "/cache/epub/1342/pg1342.txt": Route(gutenberg_book(1342, "Pride and Prejudice", "Jane Austen").encode()),
        "/cache/epub/158/pg158.txt": Route(gutenberg_book(
            158, "Emma", "Jane Austen", STORY.replace('"Who is there?"', "\u201cWho is there?\u201d")).encode("cp1252")),
        "/cache/epub/105/pg105.txt": Route(gutenberg_book(105, "Persuasion", "Jane Austen").encode(), fail_first=1),
        "/files/11/11-0.txt": Route(gutenberg_book(11, "Alice", "Lewis Carroll").encode()),
        "/ebooks/12.txt.utf-8": Route(gutenberg_book(12, "Looking-Glass", "Lewis Carroll").encode()),
        "/cache/epub/500/pg500.txt": Route(b"<!DOCTYPE html><html><body>Error 503: backend down</body></html>",
                                           content_type="text/html"),
        "/cache/epub/501/pg501.txt": Route(gutenberg_book(501).encode(), delay=3.0),
        "/cache/epub/600/pg600.txt": Route(b""),
        "/cache/epub/601/pg601.txt": Route(bytes(range(256)) * 8, content_type="application/octet-stream"),
        "/cache/epub/602/pg602.txt": Route(b"Just some notes I typed.\n\nNothing to do with any project.\n" * 5),
        "/cache/epub/700/pg700.txt": Route(gutenberg_book(700).encode(), shape="cut"),
        "/cache/epub/701/pg701.txt": Route(gutenberg_book(701).encode(), shape="cut-chunked"),
        "/cache/epub/702/pg702.txt": Route(gutenberg_book(702).encode(), shape="garbage"),
    }


def _handler(server: LocalGutenberg):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            server.hits[self.path] += 1
            route = server.routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            if route.delay and route.shape != "drip":
                time.sleep(route.delay)
            if server.hits[self.path] <= route.fail_first:
                self.send_error(503, "Service Unavailable")
                return
            shape = route.shape if server.hits[self.path] <= route.cut_first or not route.cut_first else "whole"
            try:
                self._answer(route, shape)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout case)

        def _answer(self, route: Route, shape: str) -> None:
            if shape == "garbage":
                self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n")
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.location:
                self.send_header("Location", route.location)
            if shape == "cut-chunked":
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n" % len(route.body) + route.body[: len(route.body) // 2])
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if shape == "cut":
                self.wfile.write(route.body[: len(route.body) // 2])
            elif shape == "drip":
                for byte in route.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route.delay)
            else:
                self.wfile.write(route.body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def local_gutenberg(monkeypatch) -> LocalGutenberg:
    state = LocalGutenberg("", default_routes())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("BOTSMITH_GUTENBERG_MIRROR", state.url)
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def bot(tmp_path) -> Path:
    """A bot whose Gutenberg settings suit a local server: no delay, short timeout, quick retries."""
    folder = new_bot(tmp_path / "bot")
    config = folder.config()
    config.sources.gutenberg_delay = 0
    config.sources.gutenberg_timeout = 0.5
    config.sources.gutenberg_retries = 2
    save_config(folder.root, config)
    return folder.root
