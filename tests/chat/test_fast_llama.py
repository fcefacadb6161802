"""The lean Llama pass gives the same tokens as transformers' modules, and other models keep the generic path."""

from __future__ import annotations

import pytest

from botsmith.chat import Engine, Sampling
from botsmith.chat.fast_llama import FastLlama, fast_runner
from botsmith.chat.generate import GenericRunner

# A repetition penalty keeps the random tiny model from repeating one token (still deterministic).
GREEDY = Sampling(temperature=0.0, repetition_penalty=1.5, max_new_tokens=48, min_new_tokens=48)


def _load(path, dtype_name: str = "float32"):
    import torch

    from botsmith.models import load_base

    return load_base(str(path), dtype=getattr(torch, dtype_name), log=lambda line: None)


def _greedy_ids(loaded, fast: bool, prompt: str = "tell me a story about the sea", sampling: Sampling = GREEDY):
    engine = Engine(loaded.model, loaded.tokenizer, fast=fast)
    ids = loaded.tokenizer(loaded.chat_format.prompt([{"role": "user", "content": prompt}]),
                           add_special_tokens=False)["input_ids"]
    runner = engine._runner()
    assert isinstance(runner, FastLlama) == fast
    return list(engine._token_ids(engine._reply(ids, sampling, ())))


def test_fast_pass_gives_the_generic_greedy_tokens(parrot):
    loaded = _load(parrot)
    generic = _greedy_ids(loaded, fast=False)
    assert len(generic) == 48 and len(set(generic)) > 3  # a real continuation, not one repeated token
    assert _greedy_ids(loaded, fast=True) == generic


# In bf16 the two passes round alike only where torch runs the same attention kernel for grouped and
# repeated key/value heads (torch 2.8 on; 2.6 differs by a bf16 step), so a near-tie can flip a greedy
# token: bf16 is held to the logits along one sequence, within two bf16 steps of their size.
@pytest.mark.parametrize("dtype_name, tolerance", [("float32", 1e-5), ("bfloat16", 2 ** -6)])
def test_fast_logits_match_the_model_at_every_step(parrot, dtype_name, tolerance):
    import torch

    loaded = _load(parrot, dtype_name)
    fast, generic = fast_runner(loaded.model), GenericRunner(loaded.model)
    ids = list(range(3, 40))
    with torch.inference_mode():
        pairs = [(fast.prefill(ids, 60), generic.prefill(ids, 60))]
        pairs += [(fast.step(token), generic.step(token)) for token in (5, 17, 9, 30, 2)]
    for ours, theirs in pairs:
        torch.testing.assert_close(ours.float(), theirs.float(), rtol=tolerance, atol=tolerance * theirs.abs().max().item())


def test_a_huge_residual_stream_rounds_as_in_transformers(parrot):
    """Real checkpoints carry residual values in the thousands at some tokens (SmolLM2 after a few epochs of
    LoRA: ~13,000), where one bf16 step is 64: the residual add must round as transformers' does (product
    rounded, then added), or later layers that cancel the huge values leave the difference in the logits."""
    import torch

    loaded = _load(parrot, "bfloat16")
    with torch.no_grad():
        loaded.model.model.embed_tokens.weight[7] *= 3000
    fast, generic = fast_runner(loaded.model), GenericRunner(loaded.model)
    ids = list(range(3, 20))
    with torch.inference_mode():
        pairs = [(fast.prefill(ids, 30), generic.prefill(ids, 30))]
        pairs += [(fast.step(token), generic.step(token)) for token in (7, 7, 9)]
    for ours, theirs in pairs:
        assert torch.equal(ours, theirs)


def test_a_prompt_that_continues_the_last_one_runs_only_its_new_tokens(parrot):
    import torch

    loaded = _load(parrot)
    runner, generic = fast_runner(loaded.model), GenericRunner(loaded.model)
    processed: list[int] = []
    forward = runner._forward
    runner._forward = lambda ids: (processed.append(len(ids)), forward(ids))[1]
    first = list(range(3, 30))
    with torch.inference_mode():
        runner.prefill(first, 40)
        runner.step(7)  # the reply's token: part of the next turn's prompt too
        for prompt, capacity, new_tokens in ((first + [7, 8, 9], 40, 2),       # the next turn: its new tokens only
                                             (first + [7, 8, 9, 10], 90, 1),   # a larger cache: the prefix copied
                                             (first[:5] + [4, 4], 90, 2),      # another conversation from token 6
                                             (first[:5] + [4, 4], 90, 1)):     # the same prompt: its last token
            processed.clear()
            ours = runner.prefill(prompt, capacity)
            assert processed == [new_tokens]
            torch.testing.assert_close(ours, generic.prefill(prompt, capacity), rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(runner.step(11), generic.step(11), rtol=1e-5, atol=1e-5)


def test_seeded_sampling_is_the_same_on_both_paths(parrot):
    loaded = _load(parrot)
    sampling = Sampling(temperature=0.9, top_p=0.95, top_k=20, repetition_penalty=1.2, max_new_tokens=30,
                        min_new_tokens=30, seed=11)
    assert _greedy_ids(loaded, True, sampling=sampling) == _greedy_ids(loaded, False, sampling=sampling)


def test_fusing_keeps_the_model_usable_and_a_changed_model_is_refused_back(parrot):
    import torch

    loaded = _load(parrot)
    ids = torch.tensor([[3, 4, 5, 6]])
    with torch.inference_mode():
        before = loaded.model(input_ids=ids).logits
        runner = fast_runner(loaded.model)
        after = loaded.model(input_ids=ids).logits
    assert torch.equal(before, after)  # the module weights are now views of the fused ones, same values
    assert not runner.stale()
    loaded.model.to(torch.bfloat16)
    assert runner.stale()  # the engine then builds a new one over the new weights
    engine = Engine(loaded.model, loaded.tokenizer)
    assert engine._runner() is not engine._runner() or not engine._runner().stale()


def test_other_architectures_keep_the_generic_path(tiny_gpt2):
    loaded = _load(tiny_gpt2)
    assert fast_runner(loaded.model) is None
    engine = Engine(loaded.model, loaded.tokenizer)
    assert isinstance(engine._runner(), GenericRunner)
    assert len(_greedy_ids_generic(engine, loaded)) > 0


def _greedy_ids_generic(engine, loaded):
    ids = loaded.tokenizer("Once upon a time", add_special_tokens=False)["input_ids"]
    return engine.generate(ids, GREEDY).text()


@pytest.mark.slow
def test_fast_pass_matches_generic_on_the_real_model(real_home):
    loaded = _load("smollm2-135m")
    sampling = GREEDY.updated(repetition_penalty=1.0, max_new_tokens=128, min_new_tokens=128)
    prompt = "Tell me about the old lighthouse keeper and the night of the great storm."
    assert _greedy_ids(loaded, True, prompt, sampling) == _greedy_ids(loaded, False, prompt, sampling)


def test_the_engine_says_which_pass_decodes_and_the_switch_turns_the_lean_one_off(parrot):
    loaded = _load(parrot)
    lines: list[str] = []
    on = Engine(loaded.model, loaded.tokenizer, log=lines.append)
    assert isinstance(on._runner(), FastLlama)
    off = Engine(loaded.model, loaded.tokenizer, fast=False, log=lines.append)
    assert isinstance(off._runner(), GenericRunner)
    assert lines == ["decoding: botsmith's lean Llama pass (float32, full weights), checked against transformers at load",
                     "decoding: transformers' modules (float32; [generate] fast_path = false)"]


def test_a_lean_pass_that_disagrees_with_transformers_is_not_used(parrot, monkeypatch):
    loaded = _load(parrot)
    original = FastLlama.step
    monkeypatch.setattr(FastLlama, "step", lambda self, token_id: original(self, token_id) * 1.5)
    lines: list[str] = []
    engine = Engine(loaded.model, loaded.tokenizer, log=lines.append)
    assert isinstance(engine._runner(), GenericRunner)
    assert lines[0].startswith("lean decode pass not used: next token logits differ from transformers' by")
    assert lines[1] == "decoding: transformers' modules (float32; its probe disagreed with transformers)"


def test_cli_no_fast_path_flag(bot_dir, capsys):
    from tests.chat.parrot import PARROT_PROMPT
    from tests.chat.test_session import main

    code, out, err = main(capsys, "chat", str(bot_dir), "--prompt", PARROT_PROMPT, "-t", "0", "-m", "4", "--no-fast-path")
    assert code == 0 and "decoding: transformers' modules" in err and "fast_path = false" in err
    code, out, err = main(capsys, "chat", str(bot_dir), "--prompt", PARROT_PROMPT, "-t", "0", "-m", "4")
    assert code == 0 and "decoding: botsmith's lean Llama pass" in err
