"""Polite HTTP downloads with the standard library: a delay between requests,
retries with exponential backoff for timeouts, broken connections and server
errors, none for 404.

A mirror is trusted for text, not for behaviour: a response is read at most
`max_bytes` and for at most `deadline` seconds in all (a server that drips a byte
at a time never trips the per-read `timeout`), a body cut short or a reply that
is not HTTP counts as a broken connection, and redirects are followed only on the
same host and never from https to http.
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from botsmith import __version__

USER_AGENT = f"botsmith/{__version__} (+https://github.com/botsmith; polite bulk downloads, one at a time)"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_CHUNK = 1 << 16


class FetchError(Exception):
    """A download that failed; `kind` is not_found, timeout, server (5xx, 429), network (no connection, a broken
    one, a reply that is not HTTP), too_large, or http (other codes, refused redirects)."""

    def __init__(self, kind: str, url: str, detail: str) -> None:
        self.kind, self.url, self.detail = kind, url, detail
        super().__init__(f"{detail} ({url})")

    @property
    def retryable(self) -> bool:
        return self.kind in ("timeout", "server", "network")


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content_type: str
    data: bytes


def redirect_allowed(source: str, target: str) -> bool:
    """Same host (and port), and https stays https."""
    old, new = urlsplit(source), urlsplit(target)
    same_place = (old.hostname, old.port) == (new.hostname, new.port)
    return same_place and (new.scheme == "https" or new.scheme == old.scheme == "http")


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 (urllib's signature)
        if not redirect_allowed(req.full_url, newurl):
            raise FetchError("http", req.full_url,
                             f"refused a redirect to {newurl[:200]} (another host, or https to http)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """One client for a batch: it remembers when it last asked, to keep its distance."""

    def __init__(self, *, timeout: float = 30.0, retries: int = 3, delay: float = 1.0, backoff: float = 1.0,
                 deadline: float = 300.0, max_bytes: int = 128 << 20, sleep=time.sleep) -> None:
        self.timeout, self.retries, self.delay, self.backoff = timeout, retries, delay, backoff
        self.deadline, self.max_bytes = deadline, max_bytes
        self._sleep = sleep
        self._last_request = 0.0
        self._opener = urllib.request.build_opener(_SameHostRedirects())

    def get(self, url: str) -> Response:
        """GET `url`; retries what may pass (timeouts, broken connections, 5xx, 429), raises FetchError otherwise."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._get_once(url)
            except FetchError as error:
                if not error.retryable or attempt >= self.retries:
                    raise
                self._sleep(self.backoff * 2 ** (attempt - 1))

    def _get_once(self, url: str) -> Response:
        self._keep_distance()
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                data = self._read(reply, url, time.monotonic() + self.deadline)
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
        except http.client.IncompleteRead as error:
            raise FetchError("network", url, f"the connection broke off after {len(error.partial):,} bytes") from None
        except http.client.HTTPException as error:  # a bad status line, broken chunks, a reply that is not HTTP
            raise FetchError("network", url, f"not a valid HTTP reply ({type(error).__name__})") from None
        except (ConnectionError, OSError) as error:
            raise FetchError("network", url, f"connection failed: {error}") from None
        finally:
            self._last_request = time.monotonic()

    def _read(self, reply, url: str, deadline: float) -> bytes:  # noqa: ANN001 (an http.client.HTTPResponse)
        """The body, at most max_bytes, before the deadline; read1 returns what one read brings, so the clock
        is checked however slowly the bytes come."""
        declared = reply.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > self.max_bytes):
            raise self._too_large(url)
        chunks, size = [], 0
        while chunk := reply.read1(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large(url)
            if time.monotonic() > deadline:
                raise FetchError("timeout", url, f"still downloading after {self.deadline:g} s (at {size:,} bytes)")
            chunks.append(chunk)
        if reply.length:  # the connection closed before the promised Content-Length (read1 returns b"" then)
            raise http.client.IncompleteRead(b"".join(chunks), reply.length)
        return b"".join(chunks)

    def _too_large(self, url: str) -> FetchError:
        return FetchError("too_large", url, f"larger than the {self.max_bytes:,}-byte download limit")

    def _keep_distance(self) -> None:
        wait = self._last_request + self.delay - time.monotonic()
        if self._last_request and wait > 0:
            self._sleep(wait)
