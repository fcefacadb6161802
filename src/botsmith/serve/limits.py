"""Request-body limits (size and time), as plain ASGI middleware so it sees every byte before FastAPI does.

The body is read (and counted) up front, so a chunked upload without a
Content-Length is limited as surely as one that declares its size. An oversized
body is drained before the 413 goes out: a client still writing its upload would
otherwise see a reset connection instead of the error. The whole body must arrive
within the deadline: a client that promises 1000 bytes and sends 10 gets a 408
instead of holding its connection (and a worker slot) for ever.
"""

from __future__ import annotations

import asyncio
from typing import Any

from botsmith.serve.guard import BODY_METHODS, send_error

DRAIN_LIMIT = 256 * 1024 * 1024  # past this, stop reading and let the connection close


class BodyLimit:
    def __init__(self, app: Any, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body, size = await asyncio.wait_for(self._read(receive), self.timeout)
        except asyncio.TimeoutError:
            message = f"the request body did not arrive within {self.timeout:g} s"
            await send_error(send, 408, message, code="request_timeout", headers=[(b"connection", b"close")])
            return
        if body is None:  # the client went away while sending
            return
        if size > self.max_bytes:
            message = f"request body of {size:,} bytes is larger than the server's limit of {self.max_bytes:,} bytes"
            await send_error(send, 413, message, code="request_too_large")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Any) -> tuple[bytes | None, int]:
        body, size = bytearray(), 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None, size
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= self.max_bytes:
                body += chunk
            if not message.get("more_body", False) or size > DRAIN_LIMIT:
                return bytes(body), size


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replayed() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect notice, which generation watches for

    return replayed
