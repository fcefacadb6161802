"""Requests that ask too much, come from other sites, or carry broken text; and what the page gives away."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY
from tests.serve.test_bad_input import assert_error

HELLO = {"model": "parrot", "messages": [{"role": "user", "content": PARROT_PROMPT}]}


def finished(http) -> int:
    return sum(http.get("/health").json()["finished"].values())


def test_twenty_thousand_prompts_are_refused_before_any_work(http):
    before = finished(http)
    body = json.dumps({"model": "parrot", "prompt": ["x"] * 20_000, "n": 8}, separators=(",", ":"))
    assert len(body) < 100_000
    response = http.post("/v1/completions", content=body, headers={"Content-Type": "application/json"})
    assert assert_error(response, 400, "20,000 prompts")["param"] == "prompt"
    many = {**HELLO, "messages": HELLO["messages"] * 600}
    assert assert_error(http.post("/v1/chat/completions", json=many), 400, "600 messages")["param"] == "messages"
    assert finished(http) == before


def test_prompts_times_n_times_max_tokens_is_capped(http):
    body = {"model": "parrot", "prompt": ["a", "b", "c"], "n": 8, "max_tokens": 1000}
    error = assert_error(http.post("/v1/completions", json=body), 400, "24,000 new tokens")
    assert error["code"] == "too_many_tokens" and "16,384" in error["message"]
    at_the_limit = http.post("/v1/chat/completions", json={**HELLO, "n": 8, "max_tokens": 2048})  # 16,384
    assert [choice["message"]["content"] for choice in at_the_limit.json()["choices"]] == [PARROT_REPLY] * 8


def test_the_caps_come_from_the_settings(parrot_chatbot):
    from botsmith.serve import start_server

    server = start_server(parrot_chatbot, max_prompts=2, max_messages=3, max_request_tokens=10)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            assert_error(http.post("/v1/completions", json={"model": "parrot", "prompt": ["a"] * 3}), 400, "at most 2")
            assert_error(http.post("/v1/chat/completions", json={**HELLO, "messages": HELLO["messages"] * 4}), 400,
                         "at most 3")
            assert_error(http.post("/v1/chat/completions", json={**HELLO, "max_tokens": 11}), 400, "limit is 10")
            assert http.post("/v1/chat/completions", json={**HELLO, "max_tokens": 10}).status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize("headers", [
    {"Content-Type": "text/plain"},  # what a cross-site <form> or fetch() may send without a preflight
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": ""},
])
def test_a_body_that_does_not_say_json_is_refused(http, headers):
    before = finished(http)
    response = http.post("/v1/chat/completions", content=json.dumps(HELLO), headers=headers)
    assert assert_error(response, 415, "Content-Type: application/json")["code"] == "unsupported_media_type"
    assert finished(http) == before


def test_only_local_names_and_addresses_are_answered(http, server):
    port = server.url.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.nip.io", "localhost.evil.example"):
        for method, path in (("GET", "/"), ("GET", "/health"), ("POST", "/v1/chat/completions")):
            response = http.request(method, path, json=HELLO, headers={"Host": host})
            assert assert_error(response, 403, "is not allowed")["code"] == "host_not_allowed", (host, path)
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "10.0.0.7", "bot.localhost"):
        assert http.get("/health", headers={"Host": host}).status_code == 200, host


def test_pages_of_other_sites_are_refused(http, server):
    for origin in ("http://evil.example", "https://evil.example:8000", "null"):
        response = http.post("/v1/chat/completions", json=HELLO, headers={"Origin": origin})
        assert assert_error(response, 403, "Origin")["code"] == "origin_not_allowed"
    same_site = http.post("/v1/chat/completions", json=HELLO, headers={"Origin": server.url})
    assert same_site.json()["choices"][0]["message"]["content"] == PARROT_REPLY


def test_allowed_hosts_add_names(parrot_chatbot):
    from botsmith.serve import start_server

    for allowed, host, status in ((("bot.example",), "bot.example", 200), (("bot.example",), "other.example", 403),
                                  (("*",), "anything.example", 200)):
        server = start_server(parrot_chatbot, allowed_hosts=allowed)
        try:
            assert httpx.get(server.url + "/health", headers={"Host": host}).status_code == status, (allowed, host)
        finally:
            server.stop()


@pytest.mark.parametrize("path, body, param", [
    ("/v1/chat/completions", '{"model": "parrot", "messages": [{"role": "user", "content": "hi \\ud800"}]}',
     "messages.0.content"),
    ("/v1/chat/completions", '{"model": "parrot", "messages": [{"role": "user", "content": [{"type": "text", '
     '"text": "\\udfff"}]}]}', "messages.0.content.0.text"),
    ("/v1/chat/completions", '{"model": "parrot\\ud83d", "messages": [{"role": "user", "content": "hi"}]}', "model"),
    ("/v1/completions", '{"model": "parrot", "prompt": ["ok", "\\udc00 x"]}', "prompt.1"),
    ("/v1/completions", '{"model": "parrot", "prompt": "x", "stop": "\\ud800"}', "stop"),
])
def test_a_lone_surrogate_is_a_400_naming_the_field(http, path, body, param):
    response = http.post(path, content=body, headers={"Content-Type": "application/json"})
    assert assert_error(response, 400, "lone UTF-16 surrogate")["param"] == param
    assert http.post("/v1/chat/completions", json=HELLO).status_code == 200


def page_config(page: str) -> dict:
    return json.loads(re.search(r"const CONFIG = (.*);\n", page).group(1))


def test_the_page_fills_in_once_and_escapes_every_angle_bracket(tmp_path_factory):
    from botsmith.chat import Chatbot
    from botsmith.serve import start_server
    from tests.chat.parrot import session_parrot

    name = "__BOT_CONFIG__ <i>x</i>"
    system = "</script><script>alert(1)</script><!-- & __BOT_NAME__"
    bot = Chatbot.from_model(session_parrot(tmp_path_factory), name=name, log=lambda line: None)
    bot.system_prompt = system
    server = start_server(bot)
    try:
        page = httpx.get(server.url + "/").text
    finally:
        server.stop()
    head, script = page.split("<script>", 1)
    assert '{"model"' not in head and "__BOT_CONFIG__ &lt;i&gt;x&lt;/i&gt;" in head
    assert "<i>" not in head and "<!--" not in script and "<script>alert" not in script
    assert page_config(page)["model"] == name and page_config(page)["system"] == system


def test_with_an_api_key_the_page_does_not_show_the_system_prompt(tmp_path_factory):
    from botsmith.chat import Chatbot
    from botsmith.serve import start_server
    from tests.chat.parrot import session_parrot

    system = "You are Captain Ahab. The secret word is marlinspike."
    bot = Chatbot.from_model(session_parrot(tmp_path_factory), name="ahab", log=lambda line: None)
    bot.system_prompt = system
    for api_key, shown in ((None, True), ("k3y", False)):
        server = start_server(bot, api_key=api_key)
        try:
            page = httpx.get(server.url + "/").text
        finally:
            server.stop()
        assert ("marlinspike" in page) is shown and (page_config(page)["system"] == system) is shown
