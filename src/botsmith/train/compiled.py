"""RMSNorm and SwiGLU as single-pass CPU kernels, generated once by torch.compile (inductor's C++ backend).

In a LoRA step of the default model on a 2-core CPU, the fused RMSNorm of rms_norm.py (its
ATen operators: fp32 copies of the activations, forward and backward) took ~4.5 ms per norm
and transformers' SwiGLU (silu, multiply, their backward, and the concatenation of gate's and
up's gradients for the sibling matmul) ~8 ms per layer: together about a sixth of the step.
Each is elementwise work over tensors that fit no cache, so the time is passes over memory;
the generated kernels make one pass forward and one backward (RMSNorm: two reductions fused
into them), and SwiGLU's backward writes gate's and up's gradients into one tensor, which
sibling_lora.py then uses as its combined gradient without copying.

Only these small functions are compiled, with dynamic shapes (one kernel for every batch,
length and width of a dtype): the first compile in a process costs a few seconds, most of it
importing torch's compiler; the kernels are kept in torch's on-disk cache for later runs.
Where compiling fails (no C++ compiler, an unsupported platform), the first call raises, the
kernels' probes log why, and the callers keep their ATen versions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import torch
import torch.nn.functional as F


def rms_norm_forward(x: torch.Tensor, weight: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Llama's arithmetic: fp32 statistics, the normalised value rounded to x's dtype, then the weight."""
    xf = x.float()
    inv_rms = torch.rsqrt(xf.square().mean(-1, keepdim=True) + eps)
    return weight * (xf * inv_rms).to(x.dtype), inv_rms


def rms_norm_backward(grad: torch.Tensor, x: torch.Tensor, inv_rms: torch.Tensor,
                      weight: torch.Tensor) -> torch.Tensor:
    """d/dx of weight * x * rsqrt(mean(x^2) + eps): inv_rms * (g - x_hat * mean(g * x_hat)), g = grad * weight."""
    g = grad.float() * weight.float()
    x_hat = x.float() * inv_rms
    mean_dot = (g * x_hat).mean(-1, keepdim=True)
    return ((g - x_hat * mean_dot) * inv_rms).to(x.dtype)


def swiglu_forward(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    return (F.silu(gate.float()) * up.float()).to(gate.dtype)


def swiglu_backward(grad: torch.Tensor, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """[d gate, d up] side by side in one tensor (what sibling_lora.py's combined matmul reads)."""
    g, gate_f, up_f = grad.float(), gate.float(), up.float()
    sigmoid = torch.sigmoid(gate_f)
    silu = gate_f * sigmoid
    grad_gate = g * up_f * sigmoid * (1.0 + gate_f * (1.0 - sigmoid))
    # (rounded before the concatenation: inductor's kernel for the other order measured ~30 % slower)
    return torch.cat([grad_gate.to(gate.dtype), (g * silu).to(gate.dtype)], -1)


def rotary_forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cos: torch.Tensor,
                   sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """q, k, v (batch, length, heads, head_dim) as the projections make them; cos, sin (batch, length, head_dim).
    Rotated q and k, and v, each (batch, heads, length, head_dim) contiguous: the layout attention.py's backward reads."""
    cos, sin = cos.unsqueeze(2), sin.unsqueeze(2)
    return (_rotated(q, cos, sin).transpose(1, 2).contiguous(), _rotated(k, cos, sin).transpose(1, 2).contiguous(),
            v.transpose(1, 2).contiguous())


def _rotated(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """transformers' x * cos + rotate_half(x) * sin, with its roundings (each product, then the sum)."""
    half = x.shape[-1] // 2
    turned = torch.cat([-x[..., half:], x[..., :half]], -1)
    return ((x.float() * cos.float()).to(x.dtype).float() + (turned.float() * sin.float()).to(x.dtype).float()).to(x.dtype)


def rotary_backward(grad_q: torch.Tensor, grad_k: torch.Tensor, grad_v: torch.Tensor, cos: torch.Tensor,
                    sin: torch.Tensor) -> torch.Tensor:
    """The gradients (batch, heads, length, head_dim) of rotary_forward's outputs as q's, k's and v's side by side in
    one (batch, length, all heads x head_dim) tensor: what sibling_lora.py's combined matmul reads as it is."""
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    parts = (_unrotated(grad_q, cos, sin), _unrotated(grad_k, cos, sin), grad_v)
    # joined along the heads, not the flattened last dimension: inductor's kernel for that measured 10x slower
    return torch.cat([part.transpose(1, 2) for part in parts], 2).flatten(2)


def _unrotated(grad: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """d/dx of _rotated: grad * cos + rotate_half's transpose of grad * sin, rounded as autograd rounds them."""
    half = grad.shape[-1] // 2
    by_sin = (grad.float() * sin.float()).to(grad.dtype)
    turned_back = torch.cat([by_sin[..., half:], -by_sin[..., :half]], -1)
    return ((grad.float() * cos.float()).to(grad.dtype).float() + turned_back.float()).to(grad.dtype)


KERNELS: dict[str, Callable[..., Any]] = {
    "rms_norm_forward": rms_norm_forward, "rms_norm_backward": rms_norm_backward,
    "swiglu_forward": swiglu_forward, "swiglu_backward": swiglu_backward,
    "rotary_forward": rotary_forward, "rotary_backward": rotary_backward,
}


@lru_cache(maxsize=None)
def compiled(name: str) -> Callable[..., Any]:
    """KERNELS[name] compiled for the CPU with dynamic shapes, on its first call (once per process).

    Inputs are passed detached: whether a tensor requires gradients would otherwise be one more reason to
    compile again. Callers pass 2-D tensors (one kernel for any batch and length) and scalars as tensors
    (a float is compiled in as a constant). Past torch's recompile limit a call runs the function uncompiled
    (the same arithmetic) instead of failing.
    """
    # emulate_precision_casts: round where the Python rounds (the normalised value to bf16 before the weight),
    # as eager torch and transformers do, instead of keeping fp32 across the cast.
    function = torch.compile(KERNELS[name], dynamic=True, options={"emulate_precision_casts": True})

    def call(*args: Any) -> Any:
        try:
            return function(*(a.detach() if isinstance(a, torch.Tensor) else a for a in args))
        except Exception as error:
            if not type(error).__module__.startswith(("torch._inductor", "torch._dynamo")):
                raise
            raise KernelBuildError(f"torch.compile could not build it ({_first_line(error)}); with a C++ compiler "
                                   "(g++ or clang++) training runs ~13 % faster") from None

    return call


class KernelBuildError(RuntimeError):
    """torch.compile failed to generate a kernel here (most often: no C++ compiler); the callers keep ATen's."""


def _first_line(error: Exception) -> str:
    """The cause in a few words: inductor's messages run to a page of advice."""
    text = str(error).strip().splitlines()
    line = next((part for part in text if part.strip()), type(error).__name__)
    return line if len(line) <= 120 else line[:117] + "..."


@lru_cache(maxsize=None)
def scalar(value: float) -> torch.Tensor:
    """`value` as a 0-dim fp32 tensor, made once: a kernel input instead of a constant compiled in."""
    return torch.tensor(value, dtype=torch.float32)
