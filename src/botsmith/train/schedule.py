"""Learning rate by optimizer step: linear warmup, then cosine, linear or constant."""

from __future__ import annotations

import math

from botsmith.config.train import TrainSection


def warmup_steps(train: TrainSection, total_steps: int) -> int:
    """Warmup in optimizer steps: warmup_steps when set, else warmup_ratio of the run."""
    if train.warmup_steps:
        return min(train.warmup_steps, total_steps)
    return int(math.ceil(train.warmup_ratio * total_steps))


def learning_rate(step: int, *, peak: float, warmup: int, total: int, schedule: str) -> float:
    """The rate for optimizer step `step` (0-based): never 0 during warmup, 0 only after the last step."""
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    if schedule == "constant" or total <= warmup:
        return peak
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    if schedule == "linear":
        return peak * (1.0 - progress)
    return peak * 0.5 * (1.0 + math.cos(math.pi * progress))
