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
