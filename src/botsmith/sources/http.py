"""Polite HTTP downloads with the standard library: a delay between requests,
retries with exponential backoff for timeouts and server errors, none for 404.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from botsmith import __version__

USER_AGENT = f"botsmith/{__version__} (+https://github.com/botsmith; polite bulk downloads, one at a time)"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class FetchError(Exception):
    """A download that failed; `kind` is not_found, timeout, server (5xx, 429), http (other codes) or network."""

    def __init__(self, kind: str, url: str, detail: str) -> None:
        self.kind, self.url, self.detail = kind, url, detail
        super().__init__(f"{detail} ({url})")


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content_type: str
    data: bytes


class Fetcher:
    """One client for a batch: it remembers when it last asked, to keep its distance."""

    def __init__(self, *, timeout: float = 30.0, retries: int = 3, delay: float = 1.0, backoff: float = 1.0,
                 sleep=time.sleep) -> None:
        self.timeout, self.retries, self.delay, self.backoff = timeout, retries, delay, backoff
        self._sleep = sleep
        self._last_request = 0.0

    def get(self, url: str) -> Response:
        """GET `url`; retries what may pass (timeouts, 5xx, 429), raises FetchError otherwise."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._get_once(url)
            except FetchError as error:
                if error.kind == "not_found" or error.kind == "http" or attempt >= self.retries:
                    raise
                self._sleep(self.backoff * 2 ** (attempt - 1))

    def _get_once(self, url: str) -> Response:
        self._keep_distance()
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                data = reply.read()
                return Response(reply.geturl(), reply.status, reply.headers.get("Content-Type", ""), data)
        except urllib.error.HTTPError as error:
            if error.code in (404, 410):
                raise FetchError("not_found", url, f"not found (HTTP {error.code})") from None
            kind = "server" if error.code in _RETRY_STATUS else "http"
            raise FetchError(kind, url, f"HTTP {error.code} {error.reason}") from None
        except (socket.timeout, TimeoutError):
            raise FetchError("timeout", url, f"timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                raise FetchError("timeout", url, f"timed out after {self.timeout:g} s") from None
            raise FetchError("network", url, f"cannot connect: {error.reason}") from None
        except (ConnectionError, OSError) as error:
            raise FetchError("network", url, f"connection failed: {error}") from None
        finally:
            self._last_request = time.monotonic()

    def _keep_distance(self) -> None:
        wait = self._last_request + self.delay - time.monotonic()
        if self._last_request and wait > 0:
            self._sleep(wait)
