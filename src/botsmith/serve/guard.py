"""Checks on a request's headers, made before a byte of its body is read (plain ASGI middleware).

A server on 127.0.0.1 is still reachable from every web page the user opens: a page
can POST to it (a "simple" cross-site request has no preflight when its body is
text/plain or a form), and DNS rebinding lets a page on evil.example talk to it under
its own name. So, with or without an API key:

- the Host header must be a loopback name (localhost, *.localhost), an IP address (a
  page cannot rebind an address, only a name), the configured host, or one of
  `allowed_hosts`; an Origin header, when sent, must name such a host too;
- a POST must declare a JSON body (`Content-Type: application/json`), which no page
  can send to another site without a preflight this server never grants;
- with an API key, /v1 requires it, checked before the body is read, so a client
  without the key cannot hold a connection open by sending its body slowly.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from botsmith.serve.schema import error_body

BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestGuard:
    def __init__(self, app: Any, *, host: str, allowed_hosts: Iterable[str], api_key: str | None) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.hosts = {name.lower().strip("[]") for name in (host, *allowed_hosts)}
        self.api_key = api_key

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (refusal := self.refusal(scope)) is not None:
            status, message, code = refusal
            await send_error(send, status, message, code=code)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: dict) -> tuple[int, str, str] | None:
        """(status, message, code) when the request must be refused, else None."""
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        host = headers.get("host")
        if host is not None and not self.allows(_host_name(host)):
            return 403, _not_allowed("Host", host), "host_not_allowed"
        origin = headers.get("origin")
        if origin is not None and not self.allows(urlsplit(origin).hostname or ""):
            return 403, _not_allowed("Origin", origin), "origin_not_allowed"
        if self.api_key and scope["path"].startswith("/v1") and not self.has_key(headers.get("authorization", "")):
            return 401, "invalid or missing API key: send 'Authorization: Bearer KEY'", "invalid_api_key"
        if scope["method"] in BODY_METHODS and not _is_json(headers.get("content-type", "")):
            return 415, "send the request body as JSON with the header 'Content-Type: application/json'", \
                "unsupported_media_type"
        return None

    def allows(self, name: str) -> bool:
        name = name.lower()
        if self.any_host or name == "localhost" or name.endswith(".localhost") or name in self.hosts:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def has_key(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.api_key.encode())


def _host_name(host: str) -> str:
    """'example.org:8000' -> 'example.org', '[::1]:8000' -> '::1'."""
    host = host.strip()
    if host.startswith("["):
        return host[1:host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _not_allowed(header: str, value: str) -> str:
    return (f"{header} {value[:100]!r} is not allowed: this server answers only to localhost, IP addresses and its "
            "[generate] host and allowed_hosts (which protects it from web pages on other sites)")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def send_error(send: Any, status: int, message: str, *, code: str, headers: Iterable[tuple[bytes, bytes]] = (),
                     type: str = "invalid_request_error") -> None:
    """An OpenAI-shaped error response, sent straight from ASGI middleware."""
    payload = json.dumps(error_body(message, type=type, code=code)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})
