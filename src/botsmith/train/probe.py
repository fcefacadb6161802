"""Numerical probes: a CPU kernel replaces a module only after it computed what the module computes.

Each kernel runs its own and the original computation on small random inputs (outputs and
input/weight gradients) and compares them, relative to the original's largest magnitude,
within a tolerance for the dtype: float32 kernels differ from transformers and PEFT only in
summation order; bf16 ones also round at a few different places. A probe that fails (or
raises) leaves the module as it was and is reported, one line, in the run log.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

# Largest difference allowed, as a fraction of the reference's largest magnitude.
TOLERANCE = {torch.float32: 1e-4, torch.float64: 1e-9, torch.bfloat16: 4e-2, torch.float16: 1e-2}
PROBE_SEED = 1234


def tolerance(dtype: torch.dtype) -> float:
    return TOLERANCE.get(dtype, 4e-2)


def outputs_and_grads(compute: Callable[[], torch.Tensor | Sequence[torch.Tensor]],
                      wrt: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """The outputs of `compute()` and the gradients of a fixed random projection of them with respect to `wrt`."""
    with torch.enable_grad():
        outputs = compute()
        outputs = [outputs] if isinstance(outputs, torch.Tensor) else list(outputs)
        generator = torch.Generator().manual_seed(PROBE_SEED)
        weights = [torch.randn(out.shape, generator=generator).to(out.dtype) for out in outputs]
        total = sum((out * weight).sum() for out, weight in zip(outputs, weights))
        grads = torch.autograd.grad(total, list(wrt), allow_unused=True)
    return [out.detach() for out in outputs] + [torch.zeros_like(w) if g is None else g for g, w in zip(grads, wrt)]


def difference(ours: Sequence[torch.Tensor], theirs: Sequence[torch.Tensor], dtype: torch.dtype,
               names: Sequence[str] = (), limit: float | None = None) -> str | None:
    """None when every pair agrees within `limit` (by default `dtype`'s tolerance); else what differed, and by how
    much."""
    limit = tolerance(dtype) if limit is None else limit
    for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        name = names[index] if index < len(names) else f"result {index}"
        if a.shape != b.shape:
            return f"{name} has shape {tuple(a.shape)}, expected {tuple(b.shape)}"
        a, b = a.detach().float(), b.detach().float()
        scale = float(b.abs().max()) or 1.0
        error = float((a - b).abs().max()) / scale
        if not error <= limit:  # (NaN fails too)
            return f"{name} differs by {error:.2g} of its range (limit {limit:g} in {str(dtype).split('.')[-1]})"
    return None


@contextmanager
def probing() -> Iterator[None]:
    """Random draws of a probe come from a fixed seed and leave torch's generator as it was (seeding, resume);
    gradients are on, even where the caller switched them off."""
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(PROBE_SEED)
        yield


@contextmanager
def randomized(parameters: Sequence[torch.Tensor]) -> Iterator[None]:
    """Parameters filled with random values for a probe, then put back exactly.

    LoRA's B starts at zero, which would hide any error in the adapter path from a probe.
    """
    saved = [p.detach().clone() for p in parameters]
    try:
        with torch.no_grad():
            for p in parameters:
                p.normal_(0.0, 0.5)
        yield
    finally:
        with torch.no_grad():
            for p, value in zip(parameters, saved):
                p.copy_(value)


def replace_forwards(model: Any, is_candidate: Callable[[Any], bool], probe: Callable[[Any], str | None],
                     forward: Callable[..., Any], label: str, failures: list[str] | None = None) -> int:
    """Give every candidate module of `model` whose probe agrees `forward` as its own; returns how many.

    Probed per module (its LoRA layers and their kernels are its own); a refusal is one line in `failures` per class.
    """
    swapped, refused = 0, set()
    for module in model.modules():
        if not is_candidate(module):
            continue
        problem = probe(module)
        if problem is None:
            module.forward = types.MethodType(forward, module)
            swapped += 1
        elif type(module) not in refused and failures is not None:
            refused.add(type(module))
            failures.append(f"{label}: {type(module).__name__} keeps its own forward: {problem}")
    return swapped
