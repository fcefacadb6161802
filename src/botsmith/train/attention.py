"""Self-attention for CPU training: torch's flash kernel forward, a backward in batched matmuls.

On a 2-core CPU torch's flash-attention backward took ~21 ms a layer for a LoRA step of
the default model (8 x 256 tokens, bf16) against ~3 ms for its forward: a fifth of the
whole step. The backward here recomputes the attention probabilities from the forward's
log-sum-exp with batched bf16 matmuls, which run on the CPU's matrix units, and takes
about half as long, with errors of the same size as torch's kernel (tested against a
float64 reference).

Two things keep it to few passes over the (length x length) probabilities:
- grouped-query heads are laid out so that one key/value head's query heads form one
  matrix, so keys and values are never repeated and their gradients are summed by the
  matmul itself;
- the log-sum-exp (and, for the gradient, each row's dot(dO, O)) is subtracted inside
  the matmul, as two extra columns holding it split into a high and a low half in the
  input dtype, so the fp32 value is not rounded to bf16 before the subtraction.
The probabilities exist a few matrices at a time (64 MB), so long sequences stay bounded.

`use_cpu_attention` installs it as a transformers attention implementation that takes
this path for training passes with a causal or boolean mask and hands everything else
(inference, caches, dropout, sliding windows, soft-capping, sinks) to transformers' sdpa.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import torch

NAME = "botsmith_cpu_sdpa"
_FLASH = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
# Handled by sdpa, not here: any of these set (to anything but None/False) changes the attention.
_UNSUPPORTED_KWARGS = ("softcap", "sliding_window", "s_aux", "sinks", "position_bias", "cache", "output_attentions")
PROBABILITY_ELEMENTS = 1 << 25  # per backward chunk: 64 MB of bf16 probabilities (and as much for their gradient)
_MASKED_OUT_LSE = 1e4  # stands in for the -inf log-sum-exp of a row that attends nothing: exp(s - 1e4) == 0


class FlashForwardMatmulBackward(torch.autograd.Function):
    """softmax(q k^T * scale + mask) v for q (B, H, L, D) and k, v (B, Hkv, L, D); mask None means causal."""

    @staticmethod
    def forward(ctx, query, key, value, mask, scale):
        additive = None  # the kernel takes a mask to add, in the query's dtype
        if mask is not None:
            additive = torch.zeros(mask.shape, dtype=query.dtype, device=query.device).masked_fill_(~mask, -math.inf)
        flash_key, flash_value = key, value
        if key.shape[1] != query.shape[1] and not flash_takes_grouped_heads():
            groups = query.shape[1] // key.shape[1]  # older torch: every query head gets its own key/value copy
            flash_key, flash_value = key.repeat_interleave(groups, 1), value.repeat_interleave(groups, 1)
        out, lse = _FLASH(query, flash_key, flash_value, 0.0, mask is None, attn_mask=additive, scale=scale)
        ctx.scale = scale
        ctx.save_for_backward(query, key, value, mask, out, lse)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        query, key, value, mask, out, lse = ctx.saved_tensors
        batch, heads, length, dim = query.shape
        kv_heads = key.shape[1]
        groups, matrices = heads // kv_heads, batch * kv_heads
        # One matrix per key/value head: its query heads' rows one after another.
        q = query.reshape(matrices, groups * length, dim) * ctx.scale
        k = key.reshape(matrices, length, dim)
        v = value.reshape(matrices, length, dim)
        g = grad_out.reshape(matrices, groups * length, dim)
        lse = torch.where(torch.isfinite(lse), lse, _MASKED_OUT_LSE).reshape(matrices, groups * length, 1)
        row_dot = (grad_out.float() * out.float()).sum(-1).reshape(matrices, groups * length, 1)
        if mask is not None:  # one (1, L, L) mask per matrix
            mask = mask.expand(batch, kv_heads, length, length).reshape(matrices, 1, length, length)
        grads = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        # The probabilities are (groups * L x L) per matrix: a bounded number of matrices at a time.
        step = max(1, PROBABILITY_ELEMENTS // (groups * length * length))
        for start in range(0, matrices, step):
            part = slice(start, start + step)
            _backward_part(q[part], k[part], v[part], g[part], lse[part], row_dot[part],
                           None if mask is None else mask[part], ctx.scale, [grad[part] for grad in grads])
        grad_query, grad_key, grad_value = grads
        return (grad_query.view(batch, heads, length, dim), grad_key.view(batch, kv_heads, length, dim),
                grad_value.view(batch, kv_heads, length, dim), None, None)


@lru_cache(maxsize=None)
def flash_takes_grouped_heads() -> bool:
    """Whether this torch's CPU flash kernel handles fewer key/value heads than query heads (torch 2.5-2.7 return
    garbage): found by running it both ways on a tiny input."""
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, h, 4, 8, generator=generator) for h in (2, 1, 1))
    grouped = _FLASH(q, k, v, 0.0, True, scale=0.35)[0]
    repeated = _FLASH(q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1), 0.0, True, scale=0.35)[0]
    return bool(torch.allclose(grouped, repeated, atol=1e-5))


def _backward_part(q, k, v, g, lse, row_dot, mask, scale, grads) -> None:
    """Gradients of q (pre-scaled), k, v for a slice of matrices, written into `grads`."""
    matrices, rows, _ = q.shape
    length = k.shape[1]
    ones = torch.ones(matrices, length, 2, dtype=q.dtype, device=q.device)
    # P = exp(q k^T - lse), the subtraction done in the matmul's fp32 accumulator.
    probs = torch.bmm(_with_negated_halves(q, lse), torch.cat([k, ones], -1).transpose(1, 2)).exp_()
    _apply_mask(probs.view(matrices, rows // length, length, length), mask)
    # dS = P * (dP - rowsum(dO * O)), dP = dO v^T: the row sums subtracted in the matmul likewise.
    grad_scores = torch.bmm(_with_negated_halves(g, row_dot), torch.cat([v, ones], -1).transpose(1, 2)).mul_(probs)
    grad_query, grad_key, grad_value = grads
    torch.bmm(grad_scores, k * scale, out=grad_query)
    torch.bmm(grad_scores.transpose(1, 2), q, out=grad_key)
    torch.bmm(probs.transpose(1, 2), g, out=grad_value)


def _with_negated_halves(x: torch.Tensor, column: torch.Tensor) -> torch.Tensor:
    """x with two more columns, -high and -low, whose sum in fp32 is -column to ~16 bits."""
    high = column.to(x.dtype)
    low = (column - high.float()).to(x.dtype)
    return torch.cat([x, high.neg(), low.neg()], -1)


def _apply_mask(probs: torch.Tensor, mask: torch.Tensor | None) -> None:
    """Zero what the mask hides, in place; probs (matrices, groups, L, L), mask None (causal) or (matrices, 1, L, L) bool."""
    if mask is None:
        probs.tril_()
    else:  # not a multiply by the mask: a hidden score far above the row's log-sum-exp is inf, and inf * 0 is NaN
        probs.masked_fill_(mask.logical_not(), 0.0)


def attention_forward(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                      is_causal: bool | None = None, **kwargs: Any) -> tuple[torch.Tensor, None]:
    """transformers' attention interface: this module's path where it applies, sdpa's otherwise."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if not _takes_fast_path(module, query, key, value, attention_mask, dropout, is_causal, kwargs):
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      is_causal=is_causal, **kwargs)
    scale = scaling if scaling is not None else 1.0 / math.sqrt(query.shape[-1])
    out = FlashForwardMatmulBackward.apply(query, key, value, attention_mask, scale)
    return out.transpose(1, 2).contiguous(), None


def _takes_fast_path(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                     mask: torch.Tensor | None, dropout: float, is_causal: bool | None, kwargs: dict) -> bool:
    batch, heads, length, dim = query.shape
    return (query.device.type == "cpu" and torch.is_grad_enabled()
            and any(t.requires_grad for t in (query, key, value))
            and not dropout and length > 1 and key.shape[2] == length and value.shape[-1] == dim
            and key.shape[1] and heads % key.shape[1] == 0
            and mask_takes_fast_path(module, mask, batch, length, is_causal, kwargs))


def mask_takes_fast_path(module: Any, mask: torch.Tensor | None, batch: int, length: int, is_causal: bool | None,
                         kwargs: dict) -> bool:
    """The mask (None: causal) and keyword arguments are ones this path computes."""
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    return ((mask is None and causal or _is_plain_bool_mask(mask, batch, length))
            and not any(kwargs.get(name) for name in _UNSUPPORTED_KWARGS))


def _is_plain_bool_mask(mask: torch.Tensor | None, batch: int, length: int) -> bool:
    return (mask is not None and mask.dtype == torch.bool and mask.dim() == 4 and mask.shape[1] == 1
            and mask.shape[0] in (1, batch) and tuple(mask.shape[2:]) == (length, length))


def use_cpu_attention(model: Any, failures: list[str] | None = None) -> bool:
    """Route `model`'s sdpa attention through `attention_forward`, once a probe found it computing sdpa's
    values and gradients for this model's heads and dtype; False where the model uses another kind or
    the probe failed (the reason then goes to `failures`).

    The implementation is registered with transformers under NAME, for the whole process:
    `remove_cpu_attention` takes it out again (training does, when the run ends).
    """
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    config = model.config
    if getattr(config, "_attn_implementation", None) != "sdpa":
        return False
    problem = _probe(model)
    if problem:
        if failures is not None:
            failures.append(f"attention: keeps transformers' sdpa: {problem}")
        return False
    AttentionInterface.register(NAME, attention_forward)
    AttentionMaskInterface.register(NAME, sdpa_mask)  # the masks sdpa gets: None when plainly causal
    config._attn_implementation = NAME
    return True


def remove_cpu_attention() -> None:
    """Take NAME out of transformers' registries, leaving them as they were before `use_cpu_attention`."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    for interface in (AttentionInterface, AttentionMaskInterface):
        interface._global_mapping.pop(NAME, None)


def _probe(model: Any) -> str | None:
    """None when this path and sdpa agree (output, q/k/v gradients) on the model's first attention module's shapes."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    from botsmith.train.probe import difference, outputs_and_grads, probing

    module = next((m for m in model.modules() if hasattr(m, "is_causal") and hasattr(m, "head_dim")), None)
    config = model.get_text_config() if hasattr(model, "get_text_config") else model.config
    heads = getattr(config, "num_attention_heads", None)
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    if module is None or not heads:
        return "no attention module with is_causal and head_dim found to probe"
    dtype = next(model.parameters()).dtype
    length, dim = 12, module.head_dim
    with probing():
        q, k, v = (torch.randn(2, h, length, dim).to(dtype).requires_grad_(True) for h in (heads, kv_heads, kv_heads))
        packed = torch.ones(length, length, dtype=torch.bool).tril()
        packed[5:, :5] = False  # two examples in one row
        for mask in (None, packed.expand(2, 1, length, length)):
            if not _takes_fast_path(module, q, k, v, mask, 0.0, None, {}):
                return "the probe's inputs would not take this path"
            try:
                ours = outputs_and_grads(lambda: attention_forward(module, q, k, v, mask)[0], [q, k, v])
                theirs = outputs_and_grads(lambda: sdpa_attention_forward(module, q, k, v, mask)[0], [q, k, v])
            except Exception as error:
                return f"the probe raised {type(error).__name__}: {error}"
            problem = difference(ours, theirs, dtype, ["output", "query gradient", "key gradient", "value gradient"])
            if problem:
                return f"{'packed' if mask is not None else 'causal'} mask: {problem}"
    return None
