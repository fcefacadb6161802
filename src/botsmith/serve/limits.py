"""Request-body size limit, as plain ASGI middleware so it sees every byte before FastAPI does.

The body is read (and counted) up front, so a chunked upload without a
Content-Length is limited as surely as one that declares its size. An oversized
body is drained before the 413 goes out: a client still writing its upload would
otherwise see a reset connection instead of the error.
"""

from __future__ import annotations

import json
from typing import Any

from botsmith.serve.schema import error_body

DRAIN_LIMIT = 256 * 1024 * 1024  # past this, stop reading and let the connection close


class BodySizeLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        body, size = bytearray(), 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= self.max_bytes:
                body += chunk
            if not message.get("more_body", False) or size > DRAIN_LIMIT:
                break
        if size > self.max_bytes:
            await _send_too_large(send, size, self.max_bytes)
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replayed() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: disconnect notices, which streaming responses watch for

    return replayed


async def _send_too_large(send: Any, size: int, limit: int) -> None:
    message = f"request body of {size:,} bytes is larger than the server's limit of {limit:,} bytes"
    payload = json.dumps(error_body(message, param=None, code="request_too_large")).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
