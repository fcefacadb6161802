"""Sampling settings and the choice of the next token from a row of logits.

The same rules as transformers' logits processors (repetition penalty over every
token seen, then temperature, top-k, top-p, min-p, epsilon cutoff), written out so one loop owns them and
a seeded `torch.Generator` makes every sample reproducible.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, fields, replace
from typing import Any

from botsmith.errors import BotsmithError


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 50
    min_p: float = 0.0  # keep tokens at least this share of the likeliest one's probability (0: off)
    epsilon_cutoff: float = 0.0  # drop tokens less likely than this, whatever the likeliest is (0: off)
    repetition_penalty: float = 1.1
    max_new_tokens: int = 200
    seed: int | None = None  # None: a fresh random seed per generation
    min_new_tokens: int = 0  # end-of-turn tokens are forbidden before this many (benchmarks, load tests)

    def __post_init__(self) -> None:
        checks = {
            "temperature": 0.0 <= self.temperature <= 5.0,
            "top_p": 0.0 < self.top_p <= 1.0,
            "top_k": self.top_k >= 0,
            "min_p": 0.0 <= self.min_p < 1.0,
            "epsilon_cutoff": 0.0 <= self.epsilon_cutoff < 1.0,
            "repetition_penalty": 1.0 <= self.repetition_penalty <= 3.0,
            "max_new_tokens": self.max_new_tokens >= 1,
            "min_new_tokens": 0 <= self.min_new_tokens,
        }
        for name, ok in checks.items():
            if not ok:
                raise BotsmithError(f"sampling: {name} = {getattr(self, name)!r} is out of range",
                                    hint="temperature 0-5, top_p in (0, 1], top_k >= 0, min_p and epsilon_cutoff "
                                         "in [0, 1), repetition_penalty 1-3, max_new_tokens >= 1")

    @classmethod
    def from_config(cls, section: Any, **overrides: Any) -> "Sampling":
        """Defaults from a [generate] section, then any override that is not None."""
        values = {field.name: getattr(section, field.name) for field in fields(cls) if hasattr(section, field.name)}
        if values.get("seed") is not None and values["seed"] < 0:
            values["seed"] = None
        return cls(**values).updated(**overrides)

    def updated(self, **overrides: Any) -> "Sampling":
        known = {field.name for field in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown sampling option(s): {', '.join(sorted(unknown))}")
        return replace(self, **{key: value for key, value in overrides.items() if value is not None})

    def resolved_seed(self) -> int:
        return self.seed if self.seed is not None else random.SystemRandom().randrange(2**63)


def penalised(scores: Any, penalty: float) -> Any:
    """The repetition penalty on the logits of tokens already seen (transformers' rule): a positive logit is divided
    by it, a negative one multiplied, so the token always becomes less likely."""
    import torch

    return torch.where(scores > 0, scores / penalty, scores * penalty)


def next_token(logits: Any, sampling: Sampling, seen: Any, generator: Any) -> int:
    """Pick the next token id from one row of float logits (modified in place)."""
    import torch

    if sampling.repetition_penalty != 1.0 and bool(seen.any()):
        logits[seen] = penalised(logits[seen], sampling.repetition_penalty)
    if sampling.temperature == 0.0:
        return int(torch.argmax(logits))
    logits = logits / sampling.temperature
    if 0 < sampling.top_k < logits.shape[-1]:
        values, indices = torch.topk(logits, sampling.top_k)  # sorted, largest first
    else:
        values, indices = torch.sort(logits, descending=True)
    if sampling.top_p < 1.0:
        probs = torch.softmax(values, dim=-1)
        # Keep the smallest prefix whose mass reaches top_p (the first token always stays).
        outside = torch.cumsum(probs, dim=-1) - probs > sampling.top_p
        values = values.masked_fill(outside, float("-inf"))
    if sampling.min_p > 0.0:
        # values are sorted, so values[0] is the likeliest: p_i >= min_p * p_max <=> l_i >= l_max + log(min_p)
        values = values.masked_fill(values < values[0] + math.log(sampling.min_p), float("-inf"))
    if sampling.epsilon_cutoff > 0.0:
        # Hewitt et al. 2022 (transformers' epsilon_cutoff): an absolute floor keeps the long tail of a flat
        # distribution, where top-p and min-p cut a writer's rarer words, and still drops the junk; the likeliest
        # token always stays
        low = torch.softmax(values, dim=-1) < sampling.epsilon_cutoff
        low[0] = False
        values = values.masked_fill(low, float("-inf"))
    choice = torch.multinomial(torch.softmax(values, dim=-1), 1, generator=generator)
    return int(indices[choice])
