"""Clients that leave, stall or crowd the server, over real sockets: work stops, slots free, nothing hangs."""

from __future__ import annotations

import json
import socket
import time
from contextlib import closing
from urllib.parse import urlsplit

import httpx
import pytest

LONG = {"model": "tiny", "messages": [{"role": "user", "content": "go on"}], "max_tokens": 2000, "min_tokens": 2000}
ENDLESS = {**LONG, "max_tokens": 100_000, "min_tokens": 100_000}  # minutes of work: only a cancel ends it


@pytest.fixture(scope="module")
def tiny_chatbot(tmp_path_factory):
    from botsmith.chat import Chatbot
    from tests.conftest import build_tiny_model

    folder = build_tiny_model("llama", tmp_path_factory.mktemp("tiny-hostile"))
    return Chatbot.from_model(folder, name="tiny", log=lambda line: None)


@pytest.fixture(scope="module")
def server(tiny_chatbot):
    from botsmith.serve import start_server

    running = start_server(tiny_chatbot, queue_size=2, max_tokens_limit=100_000, max_request_tokens=100_000,
                           body_timeout=1.0)
    yield running
    running.stop()


def open_request(url: str, body: dict | bytes, *, length: int | None = None) -> socket.socket:
    """Send a POST to /v1/chat/completions on a raw socket and leave it open (the caller reads or closes it)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    parts = urlsplit(url)
    head = {"Host": parts.netloc, "Content-Type": "application/json", "Content-Length": str(length or len(data))}
    request = "POST /v1/chat/completions HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall(request.encode() + data)
    return sock


def status_line(sock: socket.socket) -> str:
    return sock.recv(65536).decode(errors="replace").split("\r\n")[0]


def read_all(sock: socket.socket) -> str:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data.decode(errors="replace")


def health(url: str) -> dict:
    return httpx.get(url + "/health", timeout=10).json()


def wait_for(condition, what: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state := condition():
            return state
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def idle(url: str) -> dict | None:
    state = health(url)
    return state if not state["busy"] and state["queue"]["waiting"] == 0 else None


@pytest.mark.parametrize("stream, n", [(False, 1), (True, 1), (False, 3)])  # n=3 unstreamed: decoded side by side
def test_a_request_stops_generating_when_its_client_leaves(server, stream, n):
    finished = wait_for(lambda: idle(server.url), "an idle server")["finished"]
    sock = open_request(server.url, {**LONG, "stream": stream, "n": n})
    wait_for(lambda: health(server.url)["busy"], "the generation to start")
    sock.close()
    now = wait_for(lambda: idle(server.url), "the generation to stop")["finished"]
    assert now.get("cancelled", 0) == finished.get("cancelled", 0) + 1
    assert now.get("length", 0) == finished.get("length", 0)  # it did not run on to max_tokens


def test_clients_that_leave_the_queue_free_their_slots(server):
    wait_for(lambda: idle(server.url), "an idle server")
    running = open_request(server.url, {**ENDLESS, "stream": True})  # keeps the worker busy
    try:
        wait_for(lambda: health(server.url)["busy"], "the generation to start")
        waiting = [open_request(server.url, LONG) for _ in range(2)]  # fill the queue of 2
        wait_for(lambda: health(server.url)["queue"]["waiting"] == 2, "two waiting requests")
        for sock in waiting:
            sock.close()
        wait_for(lambda: health(server.url)["queue"]["waiting"] == 0, "the slots to free")
        with closing(open_request(server.url, LONG)):
            wait_for(lambda: health(server.url)["queue"]["waiting"] == 1, "a new request to wait (not a 429)")
    finally:
        running.close()
    wait_for(lambda: idle(server.url), "the server to go idle")


def test_a_stalled_body_gets_408_after_the_deadline(server):
    started = time.monotonic()
    sock = open_request(server.url, b'{"model": "ti', length=1000)
    try:
        assert status_line(sock) == "HTTP/1.1 408 Request Timeout"
    finally:
        sock.close()
    assert time.monotonic() - started < 5
    assert httpx.get(server.url + "/health").status_code == 200


def test_too_many_connections_get_503(tiny_chatbot):
    from botsmith.serve import start_server

    crowded = start_server(tiny_chatbot, max_connections=3, body_timeout=30.0)
    stalled = [open_request(crowded.url, b"{", length=1000) for _ in range(3)]
    try:
        wait_for(lambda: httpx.get(crowded.url + "/health").status_code == 503, "the fourth connection's 503")
    finally:
        for sock in stalled:
            sock.close()
    try:
        wait_for(lambda: httpx.get(crowded.url + "/health").status_code == 200, "the server to accept again")
    finally:
        crowded.stop()


def test_the_key_is_checked_before_the_body_is_read(tiny_chatbot):
    from botsmith.serve import start_server

    keyed = start_server(tiny_chatbot, api_key="k3y", body_timeout=30.0)
    try:
        sock = open_request(keyed.url, b'{"model": "ti', length=1000)
        started = time.monotonic()
        try:
            assert status_line(sock) == "HTTP/1.1 401 Unauthorized"
        finally:
            sock.close()
        assert time.monotonic() - started < 2
    finally:
        keyed.stop()


def test_stopping_the_server_cancels_the_running_generation(tiny_chatbot):
    from botsmith.serve import start_server

    running = start_server(tiny_chatbot, max_tokens_limit=100_000, max_request_tokens=100_000)
    work_queue = running._server.config.app.state.queue
    streaming = open_request(running.url, {**ENDLESS, "stream": True})
    wait_for(lambda: health(running.url)["busy"], "the generation to start")
    waiting = open_request(running.url, LONG)
    wait_for(lambda: health(running.url)["queue"]["waiting"] == 1, "a request to wait")
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 2.5  # not the 3 s grace period uvicorn gives open requests
    assert work_queue.finished["cancelled"] == 1 and not work_queue.busy
    with closing(streaming), closing(waiting):
        assert "server_shutting_down" in read_all(streaming)  # the stream ends with an error event
        assert read_all(waiting).startswith("HTTP/1.1 503 ")
