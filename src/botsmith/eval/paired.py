"""A paired permutation test: is the change between two models' replies to the same probes more than chance?

One eval samples one reply per probe, and another draw of replies moves a measure about as
much as a checkpoint does. If the two models wrote alike, swapping a probe's two replies
would change nothing; so the replies of each probe are swapped at random `draws` times, and
the p-value is the share of swaps whose change is at least as large (either sign) as the one
measured.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

Reply = TypeVar("Reply")
DRAWS = 300
LEVEL = 0.05  # a change with p under this is "closer" or "further"; otherwise "within the noise"


def paired_permutation_p(before: Sequence[Reply], after: Sequence[Reply],
                         change: Callable[[list[Reply], list[Reply]], float | None], *,
                         draws: int = DRAWS, seed: int = 0) -> float | None:
    """p-value of `change(before, after)`; None when the change cannot be measured on these replies."""
    if len(before) != len(after):
        raise ValueError("the two models' replies must answer the same probes")
    measured = change(list(before), list(after))
    if measured is None:
        return None
    rng = random.Random(seed)
    as_large = 0
    for _ in range(draws):
        swaps = [rng.random() < 0.5 for _ in before]
        value = change([a if swap else b for b, a, swap in zip(before, after, swaps)],
                       [b if swap else a for b, a, swap in zip(before, after, swaps)])
        as_large += value is not None and abs(value) >= abs(measured) - 1e-12
    return round((1 + as_large) / (1 + draws), 3)


def verdict(p_value: float | None, nearer: bool) -> str:
    """What a change towards (`nearer`) or away from the real text says at the LEVEL: closer, further, or
    within the noise (also when it could not be tested)."""
    if p_value is None or p_value >= LEVEL:
        return "within the noise"
    return "closer" if nearer else "further"
