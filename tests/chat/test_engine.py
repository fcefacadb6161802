"""The generation engine: KV-cache loop, stopping at the end of the turn, budgets, cancel."""

from __future__ import annotations

import pytest

from botsmith.chat import Engine, Sampling
from botsmith.chat.generate import penalty_mask
from botsmith.errors import BotsmithError
from tests.chat.parrot import NEXT_USER_LINE, PARROT_PROMPT, PARROT_REPLY

GREEDY = Sampling(temperature=0.0, repetition_penalty=1.0, max_new_tokens=60)


def prompt_ids(loaded, text: str = PARROT_PROMPT) -> list[int]:
    prompt = loaded.chat_format.prompt([{"role": "user", "content": text}])
    return loaded.tokenizer(prompt, add_special_tokens=False)["input_ids"]


def engine_for(loaded) -> Engine:
    return Engine(loaded.model, loaded.tokenizer, stop_strings=loaded.chat_format.stop)


def test_reply_stops_at_end_of_turn_and_never_writes_the_user_line(parrot_loaded):
    stream = engine_for(parrot_loaded).generate(prompt_ids(parrot_loaded), GREEDY)
    pieces = list(stream)
    assert "".join(pieces) == PARROT_REPLY
    assert len(pieces) > 3  # streamed token by token, not in one lump
    assert stream.stats.finish_reason == "stop"
    assert NEXT_USER_LINE not in "".join(pieces) and "<|im" not in "".join(pieces)


def test_without_the_stop_the_model_would_write_the_user_line(parrot_loaded):
    # Proof that the previous test can fail: forced past the end of turn, the parrot goes on as the user.
    forced = Sampling(temperature=0.0, repetition_penalty=1.0, max_new_tokens=20, min_new_tokens=20)
    stream = engine_for(parrot_loaded).generate(prompt_ids(parrot_loaded), forced)
    assert stream.text().startswith(PARROT_REPLY) and stream.stats.finish_reason == "length"
    assert stream.stats.completion_tokens == 20


def test_request_stop_strings_cut_the_reply(parrot_loaded):
    stream = engine_for(parrot_loaded).generate(prompt_ids(parrot_loaded), GREEDY, stop=["friend"])
    assert stream.text() == PARROT_REPLY.split("friend")[0]
    assert stream.stats.finish_reason == "stop"


def test_kv_cache_loop_matches_transformers_generate(tiny_llama):
    """Greedy text from our cached loop equals transformers' own greedy decoding."""
    import torch

    from botsmith.models import load_base

    loaded = load_base(str(tiny_llama), dtype=torch.float32, log=lambda line: None)
    engine, ids = engine_for(loaded), prompt_ids(loaded, "tell me a story")
    ours = engine.generate(ids, Sampling(temperature=0.0, repetition_penalty=1.0, max_new_tokens=40)).text()
    with torch.inference_mode():
        out = loaded.model.generate(torch.tensor([ids]), do_sample=False, max_new_tokens=40, eos_token_id=None,
                                    pad_token_id=0)[0, len(ids):].tolist()
    stop_at = next((index for index, token in enumerate(out) if token in engine.stop_ids), len(out))
    assert ours == loaded.tokenizer.decode(out[:stop_at], skip_special_tokens=True)
    assert len(ours) > 10


def test_cancel_stops_within_a_token(parrot_loaded):
    calls = []
    forced = Sampling(temperature=0.0, max_new_tokens=50, min_new_tokens=50)
    stream = engine_for(parrot_loaded).generate(prompt_ids(parrot_loaded), forced,
                                                cancel=lambda: calls.append(1) or len(calls) >= 3)
    stream.text()
    assert stream.stats.finish_reason == "cancelled" and stream.stats.completion_tokens == 3


def test_budget_is_clipped_to_the_context_window(parrot_loaded):
    engine = Engine(parrot_loaded.model, parrot_loaded.tokenizer, context_window=24)
    ids = prompt_ids(parrot_loaded)
    stream = engine.generate(ids, Sampling(max_new_tokens=500, min_new_tokens=500))
    stream.text()
    assert stream.stats.completion_tokens == 24 - len(ids) and stream.stats.finish_reason == "length"
    with pytest.raises(BotsmithError, match="fills the model's 24-token window"):
        engine.generate(ids * 2, GREEDY)
    with pytest.raises(BotsmithError, match="empty prompt"):
        engine.generate([], GREEDY)


def test_seeded_sampling_is_reproducible(tiny_llama):
    from botsmith.models import load_base

    loaded = load_base(str(tiny_llama), log=lambda line: None)
    engine, ids = engine_for(loaded), prompt_ids(loaded, "once upon a time")
    hot = Sampling(temperature=1.5, top_k=0, top_p=1.0, max_new_tokens=25, min_new_tokens=25)
    first, again, other = (engine.generate(ids, hot.updated(seed=seed)).text() for seed in (7, 7, 8))
    assert first == again and first != other


def test_gpt2_without_a_chat_template_gets_chatml_and_generates(tiny_gpt2):
    from botsmith.models import load_base

    loaded = load_base(str(tiny_gpt2), log=lambda line: None)
    assert loaded.chat_format.family == "chatml"
    stream = engine_for(loaded).generate(prompt_ids(loaded, "hi"), Sampling(max_new_tokens=10, min_new_tokens=10))
    assert stream.text() and stream.stats.completion_tokens == 10


def test_repetition_penalty_spares_the_end_of_turn_marker(parrot_loaded):
    # The template ends every turn of the prompt with the marker the reply must end with: penalised as a
    # repeated token, stopping itself would be penalised. The prompt's words are penalised as before.
    ids = prompt_ids(parrot_loaded)
    engine = engine_for(parrot_loaded)
    end_of_turn = parrot_loaded.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert end_of_turn in ids and end_of_turn in engine.stop_ids  # the premise
    mask = penalty_mask(ids, 512, engine.stop_ids)
    words = parrot_loaded.tokenizer(PARROT_PROMPT, add_special_tokens=False)["input_ids"]
    assert not mask[end_of_turn] and all(mask[token] for token in words)
    assert int(mask.sum()) == len(set(ids) - set(engine.stop_ids))
