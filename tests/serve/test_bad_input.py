"""Bad requests get OpenAI-style 4xx errors, and the server keeps serving."""

from __future__ import annotations

import pytest

from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY

HELLO = [{"role": "user", "content": PARROT_PROMPT}]
ERROR_KEYS = {"message", "type", "param", "code"}


def assert_error(response, status: int, text: str = "") -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS and text in error["message"]
    return error


def assert_still_serving(http) -> None:
    assert http.get("/health").json()["status"] == "ok"
    reply = http.post("/v1/chat/completions", json={"model": "parrot", "messages": HELLO})
    assert reply.json()["choices"][0]["message"]["content"] == PARROT_REPLY


@pytest.mark.parametrize("body, status, text, param", [
    ('{"model": "parrot", "messages": [', 400, "malformed JSON", None),
    ("[]", 400, "valid dictionary", None),
    ('{"model": "nobody", "messages": [{"role": "user", "content": "hi"}]}', 404, "'nobody' does not exist", "model"),
    ('{"model": "parrot", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -5}', 400, "max_tokens", "max_tokens"),
    ('{"model": "parrot", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 99999999}', 400, "limit", "max_tokens"),
    ('{"model": "parrot", "messages": []}', 400, "messages", "messages"),
    ('{"model": "parrot", "messages": [{"role": "king", "content": "hi"}]}', 400, "role", "messages.0.role"),
    ('{"model": "parrot", "messages": [{"role": "user", "content": "hi"}], "temperature": "warm"}', 400, "temperature", "temperature"),
    ('{"messages": [{"role": "user", "content": "hi"}]}', 400, "model", "model"),
])
def test_bad_chat_requests(http, body, status, text, param):
    response = http.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert assert_error(response, status, text)["param"] == param


def test_bad_completion_requests(http):
    assert_error(http.post("/v1/completions", json={"model": "parrot", "prompt": []}), 400, "prompt")
    assert_error(http.post("/v1/completions", json={"model": "parrot", "prompt": "x", "n": 100}), 400, "n")


def test_ten_megabyte_prompt_is_refused(http):
    huge = {"model": "parrot", "messages": [{"role": "user", "content": "x" * 10_000_000}]}
    error = assert_error(http.post("/v1/chat/completions", json=huge), 413, "larger than the server's limit")
    assert error["code"] == "request_too_large"

    def chunks():  # no Content-Length: the limit must count the bytes as they come
        yield b'{"model": "parrot", "prompt": "'
        for _ in range(100):
            yield b"y" * 100_000
        yield b'"}'

    assert_error(http.post("/v1/completions", content=chunks(), headers={"Content-Type": "application/json"}), 413)
    assert_still_serving(http)


def test_unknown_routes_and_methods(http):
    assert_error(http.get("/v1/nothing"), 404, "no such route")
    assert_error(http.get("/v1/chat/completions"), 405)
    assert_still_serving(http)


def test_api_key_is_required_when_set(parrot_chatbot):
    import httpx

    from botsmith.serve import start_server

    server = start_server(parrot_chatbot, api_key="s3cret-key")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            assert_error(http.get("/v1/models"), 401, "API key")
            wrong = http.get("/v1/models", headers={"Authorization": "Bearer nope"})
            assert "s3cret" not in wrong.text and wrong.status_code == 401
            assert http.get("/v1/models", headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
            assert http.get("/health").status_code == 200 and http.get("/").status_code == 200
    finally:
        server.stop()
