"""Under load: a bounded queue answers 429 when full; disconnects cancel work; the server stays up."""

from __future__ import annotations

import asyncio
import time

import pytest


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """The tiny random model with a queue of 2, asked for long forced replies, so requests pile up."""
    from botsmith.chat import Chatbot
    from botsmith.serve import start_server
    from tests.conftest import build_tiny_model

    folder = build_tiny_model("llama", tmp_path_factory.mktemp("tiny-load"))
    chatbot = Chatbot.from_model(folder, name="tiny", log=lambda line: None)
    running = start_server(chatbot, queue_size=2)
    yield running
    running.stop()


LONG = {"model": "tiny", "messages": [{"role": "user", "content": "go on"}], "max_tokens": 300, "min_tokens": 300}


async def burst(url: str, count: int) -> list:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        return await asyncio.gather(*(client.post("/v1/chat/completions", json=LONG) for _ in range(count)))


def test_overflow_gets_429_and_the_server_keeps_serving(slow_server):
    import httpx

    responses = asyncio.run(burst(slow_server.url, 12))
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) == {200, 429} and statuses.count(200) >= 2
    busy = next(response for response in responses if response.status_code == 429).json()["error"]
    assert busy["type"] == "rate_limit_error" and "busy" in busy["message"]
    done = next(response for response in responses if response.status_code == 200).json()
    assert done["usage"]["completion_tokens"] == 300 and done["choices"][0]["finish_reason"] == "length"
    with httpx.Client(base_url=slow_server.url, timeout=60) as http:
        assert http.get("/health").json()["status"] == "ok"
        short = http.post("/v1/chat/completions", json={**LONG, "max_tokens": 3, "min_tokens": 3})
        assert short.status_code == 200


def test_client_disconnect_mid_stream_cancels_generation(slow_server):
    import httpx

    body = {**LONG, "max_tokens": 2000, "min_tokens": 2000, "stream": True}
    with httpx.Client(base_url=slow_server.url, timeout=60) as http:
        before = http.get("/health").json()["finished"].get("cancelled", 0)
        with http.stream("POST", "/v1/chat/completions", json=body) as response:
            lines = response.iter_lines()
            assert next(lines).startswith("data: ") and next(lines) is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            health = http.get("/health").json()
            if health["finished"].get("cancelled", 0) > before and not health["busy"]:
                break
            time.sleep(0.1)
        assert health["finished"].get("cancelled", 0) == before + 1 and not health["busy"]
