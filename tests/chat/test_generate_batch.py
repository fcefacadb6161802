"""Replies decoded side by side (`Engine.generate_batch`, `Chatbot.replies`) are the replies decoded one at a time."""

from __future__ import annotations

import pytest

from botsmith.chat import Engine, Sampling
from botsmith.chat.fast_llama import FastLlama
from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY


@pytest.fixture(scope="module")
def parrot_loaded(parrot):
    """The parrot in float32: side by side and one at a time round their sums alike there (in bf16 a sampled token
    may flip, on some CPUs more than others)."""
    import torch

    from botsmith.models import load_base

    return load_base(str(parrot), dtype=torch.float32, log=lambda line: None)


@pytest.fixture
def parrot_bot(parrot_loaded):
    from botsmith.chat import Chatbot

    return Chatbot(parrot_loaded, name="parrot", log=lambda line: None)


def _requests(loaded):
    """Prompts of different lengths; greedy and sampled; budgets, stops and the parrot's own end of turn that end
    the replies at different steps, so slots are handed on while others run."""
    def ids(text):
        return loaded.tokenizer(loaded.chat_format.prompt([{"role": "user", "content": text}]),
                                add_special_tokens=False)["input_ids"]

    prompts = [PARROT_PROMPT, "tell me a story about the sea", "who are you", "a b c d e f g h i j k l m n o p",
               PARROT_PROMPT, "the weather"]
    requests = []
    for index, text in enumerate(prompts * 2):
        sampling = Sampling(temperature=0.0 if index % 3 == 0 else 1.5, top_p=0.95, seed=100 + index,
                            max_new_tokens=30 if text == PARROT_PROMPT else 2 + index,
                            repetition_penalty=1.3)
        requests.append((ids(text), sampling, ("friend",) if index == 4 else ()))
    return requests


def _one_at_a_time(engine, requests):
    replies = []
    for ids, sampling, stop in requests:
        stream = engine.generate(ids, sampling, stop=stop)
        replies.append((stream.text(), stream.stats))
    return replies


@pytest.mark.parametrize("weights", ["full", "int8"])
def test_batched_replies_are_the_replies_one_at_a_time(parrot_loaded, weights):
    engine = Engine(parrot_loaded.model, parrot_loaded.tokenizer, weights=weights, log=lambda line: None)
    assert isinstance(engine._runner(), FastLlama)
    requests = _requests(parrot_loaded)
    alone = _one_at_a_time(engine, requests)
    together = engine.generate_batch(requests, width=3)
    assert [text for text, _ in together] == [text for text, _ in alone]
    assert [(s.finish_reason, s.completion_tokens, s.seed) for _, s in together] == \
           [(s.finish_reason, s.completion_tokens, s.seed) for _, s in alone]
    reasons = {stats.finish_reason for _, stats in alone}
    assert reasons == {"stop", "length"}  # both ends are exercised
    assert together[0][0] == PARROT_REPLY and together[4][0] == "Hello there, my "  # end of turn; a stop string
    assert len({text for text, _ in together}) > 4


def test_the_chat_cache_survives_a_batch(parrot_loaded):
    """A batch works on copies of the cache views, so a chat's cached prefix stays valid."""
    engine = Engine(parrot_loaded.model, parrot_loaded.tokenizer, log=lambda line: None)
    requests = _requests(parrot_loaded)
    first = engine.generate(*requests[1][:2]).text()
    engine.generate_batch(requests[:5], width=2)
    assert engine.generate(*requests[1][:2]).text() == first


def test_other_passes_answer_one_request_after_another(parrot_loaded):
    engine = Engine(parrot_loaded.model, parrot_loaded.tokenizer, fast=False, log=lambda line: None)
    requests = _requests(parrot_loaded)[:4]
    assert [text for text, _ in engine.generate_batch(requests)] == [text for text, _ in _one_at_a_time(engine, requests)]


def test_chatbot_replies_are_its_streams(parrot_bot):
    from botsmith.chat import Request

    messages = [{"role": "user", "content": PARROT_PROMPT}]
    requests = [Request(messages=messages, sampling={"temperature": 0.0}),
                Request(messages=[{"role": "user", "content": "the sea"}], sampling={"seed": 7, "max_new_tokens": 20}),
                Request(text="once upon a time", sampling={"seed": 3, "max_new_tokens": 12})]
    expected = [parrot_bot.stream(messages, temperature=0.0).text(),
                parrot_bot.stream([{"role": "user", "content": "the sea"}], seed=7, max_new_tokens=20).text(),
                parrot_bot.stream_complete("once upon a time", seed=3, max_new_tokens=12).text()]
    assert [text for text, _ in parrot_bot.replies(requests)] == expected
    assert expected[0] == PARROT_REPLY


def test_caches_past_the_memory_budget_answer_one_at_a_time(parrot_loaded, monkeypatch):
    """A base whose side-by-side caches would pass BATCH_CACHE_BYTES (a large model, long prompts) gets no batch."""
    import botsmith.chat.generate as generate

    def no_batch(*args, **kwargs):
        raise AssertionError("a batch was built past the memory budget")

    engine = Engine(parrot_loaded.model, parrot_loaded.tokenizer, log=lambda line: None)
    requests = _requests(parrot_loaded)[:4]
    runner = engine._runner()
    capacity = max(len(ids) + sampling.max_new_tokens for ids, sampling, _ in requests)
    monkeypatch.setattr(generate, "BATCH_CACHE_BYTES", 2 * runner.cache_bytes(capacity) - 1)  # one slot, not two
    monkeypatch.setattr(FastLlama, "batch", no_batch)
    assert [text for text, _ in engine.generate_batch(requests)] == [text for text, _ in _one_at_a_time(engine, requests)]


def test_a_cancel_ends_every_reply_not_yet_complete(parrot_loaded):
    engine = Engine(parrot_loaded.model, parrot_loaded.tokenizer, log=lambda line: None)
    ids = _requests(parrot_loaded)[1][0]
    long = Sampling(temperature=1.0, seed=1, max_new_tokens=200, min_new_tokens=200)
    calls = []

    def cancel():  # the client goes after ten steps
        calls.append(1)
        return len(calls) > 10

    for width in (4, 1):  # side by side, and one after another
        calls.clear()
        replies = engine.generate_batch([(ids, long.updated(seed=seed), ()) for seed in range(6)], width=width,
                                        cancel=cancel)
        assert [stats.finish_reason for _, stats in replies] == ["cancelled"] * 6
        assert all(stats.completion_tokens <= 11 for _, stats in replies)


def test_a_batch_that_disagrees_with_the_single_pass_is_not_used(parrot_loaded, monkeypatch):
    """Checked on a probe before its first use: a batch pass that went wrong for some model is logged and left out."""
    from botsmith.chat import fast_llama_batch

    right_step = fast_llama_batch.LlamaBatch.step
    monkeypatch.setattr(fast_llama_batch.LlamaBatch, "step", lambda self, ids: right_step(self, ids).flip(-1))
    lines = []
    engine = Engine(parrot_loaded.model, parrot_loaded.tokenizer, log=lines.append)
    requests = _requests(parrot_loaded)[:4]
    assert [text for text, _ in engine.generate_batch(requests)] == [text for text, _ in _one_at_a_time(engine, requests)]
    assert any("one after another, not side by side: step" in line for line in lines)
