"""The OpenAI-compatible API, through the official openai client and raw HTTP."""

from __future__ import annotations

import json

import pytest

from tests.chat.parrot import NEXT_USER_LINE, PARROT_PROMPT, PARROT_REPLY

HELLO = [{"role": "user", "content": PARROT_PROMPT}]


@pytest.fixture
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)


def test_models_and_health(client, http):
    assert [model.id for model in client.models.list()] == ["parrot"]
    assert client.models.retrieve("parrot").owned_by == "botsmith"
    health = http.get("/health").json()
    assert health["status"] == "ok" and health["model"] == "parrot" and health["queue"]["size"] >= 1


def test_chat_completion(client):
    response = client.chat.completions.create(model="parrot", messages=HELLO, temperature=0)
    choice = response.choices[0]
    assert choice.message.content == PARROT_REPLY and choice.message.role == "assistant"
    assert choice.finish_reason == "stop"
    assert response.usage.completion_tokens > 3 and response.usage.prompt_tokens > 3
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens


def test_streamed_chat_completion(client):
    stream = client.chat.completions.create(model="parrot", messages=HELLO, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    deltas = [chunk.choices[0].delta.content for chunk in chunks if chunk.choices and chunk.choices[0].delta.content]
    assert "".join(deltas) == PARROT_REPLY and len(deltas) > 3
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == len(deltas) or chunks[-1].usage.completion_tokens >= len(deltas)
    assert NEXT_USER_LINE not in "".join(deltas)


def test_raw_stream_ends_with_done(http):
    body = {"model": "parrot", "messages": HELLO, "stream": True}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events) and events[-1] == "data: [DONE]"
    assert json.loads(events[0][6:])["object"] == "chat.completion.chunk"


def test_min_p_near_one_keeps_only_the_likeliest_token(http):
    def reply(**sampling) -> str:
        body = {"model": "parrot", "messages": HELLO, "max_tokens": 12, "seed": 5, **sampling}
        return http.post("/v1/chat/completions", json=body).json()["choices"][0]["message"]["content"]

    hot = {"temperature": 2.0, "top_p": 1.0, "top_k": 0}
    assert reply(**hot, min_p=0.999) == reply(temperature=0)
    assert len({reply(**hot, seed=seed) for seed in range(3)}) > 1  # without it, this temperature samples widely
    assert http.post("/v1/chat/completions", json={"model": "parrot", "messages": HELLO, "min_p": 1.5}).status_code == 400
    assert reply(**hot, epsilon_cutoff=0.9) == reply(temperature=0)  # no token reaches 0.9: the likeliest stays
    body = {"model": "parrot", "messages": HELLO, "epsilon_cutoff": -0.1}
    assert http.post("/v1/chat/completions", json=body).status_code == 400


def test_text_completions_with_n_and_stop(client):
    response = client.completions.create(model="parrot", prompt="It was a dark and", max_tokens=6, n=2,
                                         temperature=1.0, seed=3)
    assert [choice.index for choice in response.choices] == [0, 1]
    assert all(choice.finish_reason in {"stop", "length"} for choice in response.choices)
    chat_prompt = f"<|im_start|>user\n{PARROT_PROMPT}<|im_end|>\n<|im_start|>assistant\n"
    cut = client.completions.create(model="parrot", prompt=chat_prompt, max_tokens=20, temperature=0, stop=["friend"])
    assert cut.choices[0].text == PARROT_REPLY.split("friend")[0] and cut.choices[0].finish_reason == "stop"
    streamed = client.completions.create(model="parrot", prompt=chat_prompt, max_tokens=20, temperature=0, stream=True)
    assert "".join(chunk.choices[0].text for chunk in streamed if chunk.choices) == PARROT_REPLY


def test_several_choices_at_once_are_the_choices_asked_one_by_one(http):
    """n > 1 or several prompts, not streamed, are decoded side by side: the same replies as one request each."""
    hot = {"temperature": 1.5, "top_p": 1.0, "top_k": 0, "max_tokens": 12}

    def chat(n, seed):
        body = {"model": "parrot", "messages": [{"role": "user", "content": "the weather"}], "n": n, "seed": seed, **hot}
        return [choice["message"]["content"] for choice in http.post("/v1/chat/completions", json=body).json()["choices"]]

    together = chat(3, 40)
    assert together == chat(1, 40) + chat(1, 41) + chat(1, 42) and len(set(together)) > 1

    def complete(prompt, n, seed):
        body = {"model": "parrot", "prompt": prompt, "n": n, "seed": seed, "stop": ["friend"], **hot}
        return [choice["text"] for choice in http.post("/v1/completions", json=body).json()["choices"]]

    assert complete(["It was a dark and", "hello"], 2, 7) == \
        complete("It was a dark and", 1, 7) + complete("It was a dark and", 1, 8) + complete("hello", 1, 7) + \
        complete("hello", 1, 8)


def test_developer_role_and_content_parts_are_understood(client):
    response = client.chat.completions.create(
        model="parrot", temperature=0,
        messages=[{"role": "user", "content": [{"type": "text", "text": PARROT_PROMPT}]}])
    assert response.choices[0].message.content == PARROT_REPLY


def test_client_errors_map_to_openai_exceptions(client):
    import openai

    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=HELLO)
    with pytest.raises(openai.BadRequestError, match="max_tokens"):
        client.chat.completions.create(model="parrot", messages=HELLO, max_tokens=10**9)


def test_a_bots_own_seed_gives_each_choice_its_own_sample(tmp_path_factory):
    """With `[generate] seed` set and none in the request, n choices are seed, seed + 1, ... as `complete` gives them,
    not n copies of one sample."""
    import httpx

    from botsmith.chat import Chatbot
    from botsmith.config import GenerateSection
    from botsmith.serve import start_server
    from tests.chat.parrot import session_parrot

    seeded = Chatbot.from_model(session_parrot(tmp_path_factory), name="parrot", log=lambda line: None,
                                generate=GenerateSection(temperature=1.5, top_p=1.0, top_k=0, seed=40, dtype="float32"))
    running = start_server(seeded)
    try:
        with httpx.Client(base_url=running.url, timeout=60) as http:
            def chat(n, **seed):
                body = {"model": "parrot", "messages": [{"role": "user", "content": "the weather"}], "n": n,
                        "max_tokens": 12, **seed}
                return [choice["message"]["content"] for choice in http.post("/v1/chat/completions", json=body).json()["choices"]]

            together = chat(3)
            assert together == chat(1, seed=40) + chat(1, seed=41) + chat(1, seed=42) and len(set(together)) > 1
            prompt = {"model": "parrot", "prompt": "It was a dark and", "n": 2, "max_tokens": 12}
            texts = [choice["text"] for choice in http.post("/v1/completions", json=prompt).json()["choices"]]
            assert texts == seeded.complete("It was a dark and", 2, max_new_tokens=12)
    finally:
        running.stop()
