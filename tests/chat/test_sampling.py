"""Choosing the next token: greedy, top-k, top-p, min-p, temperature, repetition penalty, seeds."""

from __future__ import annotations

import pytest
import torch

from botsmith.chat.sampling import Sampling, next_token
from botsmith.config import GenerateSection
from botsmith.errors import BotsmithError

LOGITS = torch.tensor([1.0, 3.0, 2.5, -1.0, 0.5])


def sample(sampling: Sampling, seed: int = 0, seen: list[int] = ()) -> int:
    mask = torch.zeros(len(LOGITS), dtype=torch.bool)
    mask[list(seen)] = True
    return next_token(LOGITS.clone(), sampling, mask, torch.Generator().manual_seed(seed))


def test_greedy_and_top_k_one_pick_the_likeliest():
    assert sample(Sampling(temperature=0.0, repetition_penalty=1.0)) == 1
    assert {sample(Sampling(temperature=2.0, top_k=1, top_p=1.0), seed) for seed in range(20)} == {1}


def test_top_k_and_top_p_limit_the_candidates():
    top2 = {sample(Sampling(temperature=5.0, top_k=2, top_p=1.0, repetition_penalty=1.0), seed) for seed in range(200)}
    assert top2 == {1, 2}
    nucleus = {sample(Sampling(temperature=1.0, top_k=0, top_p=0.5, repetition_penalty=1.0), seed) for seed in range(200)}
    assert nucleus == {1}  # token 1 alone holds more than half the mass


def test_min_p_keeps_tokens_near_the_likeliest_after_temperature():
    def kept(temperature: float, min_p: float) -> set[int]:
        settings = Sampling(temperature=temperature, top_k=0, top_p=1.0, min_p=min_p, repetition_penalty=1.0)
        return {sample(settings, seed) for seed in range(400)}

    # relative to token 1 at temperature 1: token 2 0.61, token 0 0.14, token 4 0.08, token 3 0.02
    assert kept(1.0, 0.5) == {1, 2}
    assert kept(1.0, 0.1) == {0, 1, 2}
    # temperature 2 flattens first (HF and vLLM order): token 0 rises to 0.37, token 4 to 0.29
    assert kept(2.0, 0.3) == {0, 1, 2}
    assert kept(2.0, 0.25) == {0, 1, 2, 4}


def test_epsilon_cutoff_keeps_what_transformers_keeps():
    from transformers.generation.logits_process import EpsilonLogitsWarper

    def kept(epsilon: float) -> set[int]:
        settings = Sampling(temperature=1.0, top_k=0, top_p=1.0, epsilon_cutoff=epsilon, repetition_penalty=1.0)
        return {sample(settings, seed) for seed in range(400)}

    def transformers_keeps(epsilon: float) -> set[int]:
        warped = EpsilonLogitsWarper(epsilon)(torch.zeros(1, 1, dtype=torch.long), LOGITS.clone()[None])
        return {int(i) for i in torch.nonzero(warped[0] > float("-inf")).flatten()}

    # at temperature 1: token 1 0.54, token 2 0.33, token 0 0.073, token 4 0.045, token 3 0.0099
    assert kept(0.05) == transformers_keeps(0.05) == {0, 1, 2}
    assert kept(0.01) == transformers_keeps(0.01) == {0, 1, 2, 4}
    assert kept(0.9) == {1}  # nothing reaches it: the likeliest token stays


def test_seed_makes_samples_reproducible():
    wide = Sampling(temperature=3.0, top_k=0, top_p=1.0)
    runs = [[sample(wide, seed) for seed in range(30)] for _ in range(2)]
    assert runs[0] == runs[1] and len(set(runs[0])) > 2


def test_repetition_penalty_demotes_seen_tokens():
    greedy = Sampling(temperature=0.0, repetition_penalty=1.5)
    assert sample(greedy, seen=[1]) == 2  # 3.0 / 1.5 = 2.0 < 2.5


def test_config_defaults_and_overrides():
    settings = Sampling.from_config(GenerateSection(temperature=0.2, seed=-1), top_k=7, max_new_tokens=None)
    assert (settings.temperature, settings.top_k, settings.seed, settings.max_new_tokens) == (0.2, 7, None, 200)
    assert Sampling.from_config(GenerateSection(seed=5)).seed == 5


@pytest.mark.parametrize("field, value", [("temperature", -1.0), ("top_p", 0.0), ("repetition_penalty", 0.5),
                                          ("max_new_tokens", 0), ("top_k", -2),
                                          ("min_p", 1.0), ("min_p", -0.1), ("epsilon_cutoff", 1.0)])
def test_out_of_range_values_name_the_field(field, value):
    with pytest.raises(BotsmithError, match=field):
        Sampling(**{field: value})
