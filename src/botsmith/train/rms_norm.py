"""RMSNorm forward and backward in fewer passes over the activations, for CPU training.

transformers' Llama-style RMSNorm is eight tensor operations forward (upcast, square,
mean, add, rsqrt, multiply, downcast, scale) and as many again in autograd's backward,
each a full pass over a (batch x length x hidden) tensor: with two norms per layer that
was a tenth of a LoRA step on a 2-core CPU. `RMSNormFunction` computes the same
arithmetic (fp32 statistics, the normalised value rounded to the input dtype, then the
weight) with three passes forward and five backward.

Only norm classes whose forward is the Llama one, source line for line, are swapped;
others (Gemma's 1 + weight, norms with a bias) keep their own forward.
"""

from __future__ import annotations

import inspect
import types
from functools import lru_cache
from typing import Any

import torch


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


def fast_rms_norm_forward(self: Any, hidden_states: torch.Tensor) -> torch.Tensor:
    return RMSNormFunction.apply(hidden_states, self.weight, self.variance_epsilon)


def use_fast_rms_norm(model: Any) -> int:
    """Give every Llama-style RMSNorm in `model` the fused forward; returns how many."""
    swapped = 0
    for module in model.modules():
        if _is_llama_rms_norm(type(module)):
            module.forward = types.MethodType(fast_rms_norm_forward, module)
            swapped += 1
    return swapped


@lru_cache(maxsize=None)
def _is_llama_rms_norm(cls: type) -> bool:
    if not cls.__name__.endswith("RMSNorm"):
        return False
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    return _body(cls.forward) == _body(LlamaRMSNorm.forward)


def _body(function: Any) -> str | None:
    try:
        lines = inspect.getsource(function).splitlines()
    except (OSError, TypeError):
        return None
    return "\n".join(line.strip() for line in lines if line.strip() and not line.strip().startswith(("#", "@")))
