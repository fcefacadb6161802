"""RMSNorm forward and backward in fewer passes over the activations, for CPU training.

transformers' Llama-style RMSNorm is eight tensor operations forward (upcast, square,
mean, add, rsqrt, multiply, downcast, scale) and as many again in autograd's backward,
each a full pass over a (batch x length x hidden) tensor: with two norms per layer that
was a tenth of a LoRA step on a 2-core CPU. `RMSNormFunction` computes the same
arithmetic (fp32 statistics, the normalised value rounded to the input dtype, then the
weight) with three passes forward and five backward.

A norm is swapped only after a probe has run its own forward and this one on random
inputs and weights and found the same values and gradients (see probe.py); others
(Gemma's 1 + weight, norms with a bias) keep their own forward.
"""

from __future__ import annotations

import copy
import types
from functools import partial
from typing import Any

import torch

from botsmith.train.compiled import compiled, scalar
from botsmith.train.probe import difference, outputs_and_grads, probing


class RMSNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        # rsqrt(mean(x^2) + eps) from one fp32 reduction that reads x in its own dtype.
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True, dtype=torch.float32)
        inv_rms = norm.square_().div_(x.shape[-1]).add_(eps).rsqrt_()
        normed = x.to(torch.float32, copy=True).mul_(inv_rms).to(x.dtype)  # fp32 product, rounded once, as transformers does
        ctx.save_for_backward(x, inv_rms, weight, normed if ctx.needs_input_grad[1] else None)
        return weight * normed

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        x, inv_rms, weight, normed = ctx.saved_tensors
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_normed = torch.mul(grad_out, weight).float()
            x_hat = x.to(torch.float32, copy=True).mul_(inv_rms)  # (same-dtype ops: mixed bf16 x fp32 ones are slow on CPU)
            # d/dx of x * rsqrt(mean(x^2)): inv_rms * (g - x_hat * mean(g * x_hat))
            mean_dot = torch.linalg.vecdot(grad_normed, x_hat).unsqueeze_(-1).div_(x.shape[-1])
            grad_x = torch.addcmul(grad_normed, x_hat, mean_dot, value=-1.0).mul_(inv_rms).to(x.dtype)
        if ctx.needs_input_grad[1]:
            grad_weight = (grad_out * normed).reshape(-1, normed.shape[-1]).sum(0, dtype=torch.float32).to(weight.dtype)
        return grad_x, grad_weight, None


class CompiledRMSNormFunction(torch.autograd.Function):
    """RMSNormFunction's arithmetic in one generated kernel each way (compiled.py): ~0.9 ms against ~4.5 ms
    forward and backward for the default model's (8, 256, 576) bf16 activations on 2 cores."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1])
        out, inv_rms = compiled("rms_norm_forward")(rows, weight, scalar(eps))
        ctx.save_for_backward(rows, inv_rms, weight)
        return out.view(x.shape)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        rows, inv_rms, weight = ctx.saved_tensors
        grad_rows = grad_out.reshape(rows.shape)
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_x = compiled("rms_norm_backward")(grad_rows, rows, inv_rms, weight).view(grad_out.shape)
        if ctx.needs_input_grad[1]:  # full fine-tuning only: the normalised value again, in ATen
            normed = rows.to(torch.float32, copy=True).mul_(inv_rms).to(rows.dtype)
            grad_weight = (grad_rows * normed).sum(0, dtype=torch.float32).to(weight.dtype)
        return grad_x, grad_weight, None


FUNCTIONS = (CompiledRMSNormFunction, RMSNormFunction)  # the first whose probe passes is used


def fast_rms_norm_forward(self: Any, hidden_states: torch.Tensor, function: Any = RMSNormFunction) -> torch.Tensor:
    return function.apply(hidden_states, self.weight, _epsilon(self))


def _epsilon(module: Any) -> float | None:
    """The norm's epsilon, by the names transformers' norms give it."""
    value = getattr(module, "variance_epsilon", getattr(module, "eps", None))
    return value if isinstance(value, float) else None


def use_fast_rms_norm(model: Any, failures: list[str] | None = None) -> int:
    """Give every RMSNorm in `model` that the probe finds computing Llama's arithmetic the fused forward.

    Returns how many were swapped; norms that compute something else (Gemma's 1 + weight, a bias)
    keep their own forward, and each such class is named in `failures`.
    """
    verdicts: dict[tuple, Any] = {}
    swapped = 0
    for module in model.modules():
        if not _is_candidate(module):
            continue
        key = (type(module), module.weight.dtype, module.weight.shape[0], _epsilon(module))
        if key not in verdicts:
            verdicts[key] = _first_agreeing(module, failures)
        if verdicts[key] is not None:
            module.forward = types.MethodType(partial(fast_rms_norm_forward, function=verdicts[key]), module)
            swapped += 1
    return swapped


def _first_agreeing(module: Any, failures: list[str] | None) -> Any:
    """The first of FUNCTIONS whose probe agrees with the module's own forward, or None; one line in `failures`
    where the compiled kernel was refused (the ATen one serves) or every one was."""
    problems = []
    for function in FUNCTIONS:
        problems.append(_probe(module, function))
        if problems[-1] is None:
            break
    name = type(module).__name__
    if problems[-1] is not None and failures is not None:
        failures.append(f"RMSNorm: {name} keeps its own forward: {problems[-1]}")
    elif len(problems) > 1 and failures is not None:
        failures.append(f"RMSNorm: {name} uses the ATen kernel, the compiled one was refused: {problems[0]}")
    return FUNCTIONS[len(problems) - 1] if problems[-1] is None else None


def _is_candidate(module: Any) -> bool:
    """A norm that may be Llama's: a name ending in RMSNorm, one weight vector and an epsilon (the probe decides)."""
    weight = getattr(module, "weight", None)
    return (type(module).__name__.endswith("RMSNorm") and isinstance(weight, torch.Tensor) and weight.dim() == 1
            and weight.is_floating_point() and _epsilon(module) is not None)


def _probe(module: Any, function: Any = RMSNormFunction) -> str | None:
    """None when `function` computes what the class's own forward computes (values and gradients)."""
    probe = copy.deepcopy(module)
    dtype = probe.weight.dtype
    with probing():
        probe.weight = torch.nn.Parameter(torch.randn(probe.weight.shape).to(dtype))
        x = (torch.randn(2, 3, probe.weight.shape[0]) * 3).to(dtype).requires_grad_(True)
        try:
            theirs = outputs_and_grads(lambda: type(module).forward(probe, x), [x, probe.weight])
            ours = outputs_and_grads(lambda: function.apply(x, probe.weight, _epsilon(probe)),
                                     [x, probe.weight])
        except Exception as error:  # a norm that needs more than hidden states: not ours to replace
            return f"the probe raised {type(error).__name__}: {error}"
    return difference(ours, theirs, dtype, ["output", "input gradient", "weight gradient"])
