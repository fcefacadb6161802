"""The polite fetcher against the local server: delay between requests, backoff, no retry on 404."""

from __future__ import annotations

import pytest

from botsmith.bot_folder import open_bot
from botsmith.config import save_config
from botsmith.sources import add_gutenberg
from botsmith.sources.http import Fetcher, FetchError


class Clock:
    """Records the waits the fetcher asks for instead of sleeping through them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_polite_delay_between_requests(local_gutenberg):
    clock = Clock()
    fetcher = Fetcher(delay=5.0, sleep=clock)
    fetcher.get(local_gutenberg.url + "/cache/epub/1342/pg1342.txt")
    assert clock.waits == []  # the first request does not wait
    fetcher.get(local_gutenberg.url + "/cache/epub/1342/pg1342.txt")
    assert len(clock.waits) == 1 and 4.0 < clock.waits[0] <= 5.0


def test_backoff_doubles_and_404_is_not_retried(local_gutenberg):
    clock = Clock()
    local_gutenberg.routes["/cache/epub/105/pg105.txt"].fail_first = 2
    fetcher = Fetcher(delay=0, retries=3, backoff=0.25, sleep=clock)
    assert fetcher.get(local_gutenberg.url + "/cache/epub/105/pg105.txt").status == 200
    assert clock.waits == [0.25, 0.5]
    with pytest.raises(FetchError) as error:
        fetcher.get(local_gutenberg.url + "/nothing/here.txt")
    assert error.value.kind == "not_found" and local_gutenberg.hits["/nothing/here.txt"] == 1


def test_server_errors_give_up_after_the_retries(local_gutenberg):
    local_gutenberg.routes["/cache/epub/105/pg105.txt"].fail_first = 10
    with pytest.raises(FetchError, match="HTTP 503") as error:
        Fetcher(delay=0, retries=3, backoff=0, sleep=Clock()).get(local_gutenberg.url + "/cache/epub/105/pg105.txt")
    assert error.value.kind == "server" and local_gutenberg.hits["/cache/epub/105/pg105.txt"] == 3


def test_connection_refused_is_a_network_error():
    with pytest.raises(FetchError) as error:
        Fetcher(delay=0, retries=1, timeout=2).get("http://127.0.0.1:9/none")
    assert error.value.kind == "network"


def test_mirror_from_the_bot_config(local_gutenberg, bot, monkeypatch):
    monkeypatch.delenv("BOTSMITH_GUTENBERG_MIRROR")
    folder = open_bot(bot)
    config = folder.config()
    config.sources.gutenberg_mirror = local_gutenberg.url
    save_config(bot, config)
    report = add_gutenberg(bot, ["1342"], log=lambda line: None)
    assert report.ok and report.added[0].id == "pg1342"


@pytest.mark.parametrize("shape", ["cut", "cut-chunked", "garbage"])
def test_a_broken_reply_is_retried_like_a_timeout(local_gutenberg, shape):
    path = "/cache/epub/1342/pg1342.txt"
    route = local_gutenberg.routes[path]
    route.shape, route.cut_first = shape, 1
    response = Fetcher(delay=0, retries=2, backoff=0, sleep=Clock()).get(local_gutenberg.url + path)
    assert response.data == route.body and local_gutenberg.hits[path] == 2
    route.cut_first = 10
    with pytest.raises(FetchError) as error:
        Fetcher(delay=0, retries=3, backoff=0, sleep=Clock()).get(local_gutenberg.url + path)
    assert error.value.kind == "network" and local_gutenberg.hits[path] == 5


def test_a_slow_drip_is_cut_off_at_the_deadline(local_gutenberg):
    import time

    route = local_gutenberg.routes["/cache/epub/1342/pg1342.txt"]
    route.shape, route.delay = "drip", 0.02  # a byte every 20 ms: never a 1 s silence, but minutes in all
    started = time.monotonic()
    with pytest.raises(FetchError, match="still downloading after 1 s") as error:
        Fetcher(delay=0, retries=1, timeout=1, deadline=1).get(local_gutenberg.url + "/cache/epub/1342/pg1342.txt")
    assert error.value.kind == "timeout" and time.monotonic() - started < 2.5


def test_a_body_over_the_byte_cap_is_refused_without_retry(local_gutenberg):
    path = "/cache/epub/1342/pg1342.txt"
    local_gutenberg.routes[path].body = b"x" * 300_000
    with pytest.raises(FetchError, match="larger than the 100,000-byte download limit") as error:
        Fetcher(delay=0, retries=3, max_bytes=100_000, sleep=Clock()).get(local_gutenberg.url + path)
    assert error.value.kind == "too_large" and local_gutenberg.hits[path] == 1
    local_gutenberg.routes[path].shape = "cut-chunked"  # chunked: no Content-Length to refuse up front
    local_gutenberg.routes[path].body = b"y" * 300_000
    with pytest.raises(FetchError, match="download limit"):
        Fetcher(delay=0, retries=1, max_bytes=100_000).get(local_gutenberg.url + path)


def test_redirects_stay_on_the_same_host(local_gutenberg):
    from tests.sources.conftest import Route

    port = local_gutenberg.url.rsplit(":", 1)[1]
    book = "/cache/epub/1342/pg1342.txt"
    local_gutenberg.routes["/moved"] = Route(b"", status=302, location=local_gutenberg.url + book)
    local_gutenberg.routes["/elsewhere"] = Route(b"", status=302, location=f"http://localhost:{port}{book}")
    fetcher = Fetcher(delay=0, retries=3, sleep=Clock())
    assert fetcher.get(local_gutenberg.url + "/moved").url == local_gutenberg.url + book
    with pytest.raises(FetchError, match="refused a redirect to http://localhost") as error:
        fetcher.get(local_gutenberg.url + "/elsewhere")
    assert error.value.kind == "http" and local_gutenberg.hits[book] == 1 and local_gutenberg.hits["/elsewhere"] == 1


@pytest.mark.parametrize("source, target, allowed", [
    ("https://www.gutenberg.org/a", "https://www.gutenberg.org/b", True),
    ("http://www.gutenberg.org/a", "https://www.gutenberg.org/b", True),  # an upgrade
    ("https://www.gutenberg.org/a", "http://www.gutenberg.org/b", False),  # a downgrade
    ("https://www.gutenberg.org/a", "https://evil.example/b", False),
    ("https://www.gutenberg.org/a", "https://www.gutenberg.org:8443/b", False),
    ("https://www.gutenberg.org/a", "file:///etc/passwd", False),
])
def test_the_redirect_rule(source, target, allowed):
    from botsmith.sources.http import redirect_allowed

    assert redirect_allowed(source, target) is allowed
