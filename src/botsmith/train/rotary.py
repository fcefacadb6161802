"""Rotary embeddings for CPU training in one generated kernel each way, inside botsmith's own attention forward.

transformers applies rotary embeddings to q and k as eight tensor operations (two multiplies,
rotate_half's slices, negation and concatenation, an add, for each) and autograd runs as many
again backward, plus the copies attention.py's backward then makes of q, k and v (they arrive as
transposed views of the projections' outputs) and the concatenation of their gradients for the
sibling q/k/v matmul. `RotaryQKV` does it in one pass each way (compiled.py): forward, rotated q
and k and v in the (batch, heads, length, head_dim) layout the attention backward reads;
backward, q's, k's and v's gradients side by side in one tensor, which sibling_lora.py's
combined matmul reads as it is. Same roundings as transformers (each product, then the sum).

`own_attention_forward` replaces a Llama-style attention module's forward (q/k/v projections,
rotary embeddings, attention, output projection) for training passes that take attention.py's
path; everything else (inference, caches, other masks) goes to the module's own forward. A
module gets it only after a probe found its outputs and gradients equal to the module's own.
"""

from __future__ import annotations

from typing import Any

import torch

from botsmith.train.attention import NAME, FlashForwardMatmulBackward, mask_takes_fast_path
from botsmith.train.compiled import compiled
from botsmith.train.probe import difference, outputs_and_grads, probing, randomized, replace_forwards

_CACHE_KWARGS = ("cache", "past_key_values", "past_key_value")


class RotaryQKV(torch.autograd.Function):
    """q, k, v (batch, length, heads x head_dim), cos and sin (batch or 1, length, head_dim) -> rotated q and k,
    and v, each (batch, heads, length, head_dim) contiguous."""

    @staticmethod
    def forward(ctx, q, k, v, cos, sin, head_dim):
        batch, length = q.shape[:2]
        cos, sin = cos.expand(batch, length, head_dim), sin.expand(batch, length, head_dim)
        heads = [t.view(batch, length, -1, head_dim) for t in (q, k, v)]
        ctx.save_for_backward(cos, sin)
        ctx.widths = [t.shape[-1] for t in (q, k, v)]
        return compiled("rotary_forward")(*heads, cos, sin)

    @staticmethod
    def backward(ctx, grad_q, grad_k, grad_v):
        cos, sin = ctx.saved_tensors
        grads = [torch.zeros_like(like) if grad is None else grad
                 for grad, like in zip((grad_q, grad_k, grad_v), _output_likes(ctx.widths, cos))]
        both = compiled("rotary_backward")(*grads, cos, sin)
        return (*both.split(ctx.widths, -1), None, None, None)


def _output_likes(widths: list[int], cos: torch.Tensor) -> list[torch.Tensor]:
    """Empty tensors shaped like the forward's outputs, for an output that got no gradient."""
    batch, length, head_dim = cos.shape
    return [cos.new_empty(batch, width // head_dim, length, head_dim) for width in widths]


def own_attention_forward(self: Any, hidden_states: torch.Tensor, position_embeddings: Any = None,
                          attention_mask: torch.Tensor | None = None, **kwargs: Any) -> tuple[torch.Tensor, None]:
    if not _takes_own_path(self, hidden_states, position_embeddings, attention_mask, kwargs):
        return type(self).forward(self, hidden_states, position_embeddings, attention_mask, **kwargs)
    batch, length = hidden_states.shape[:2]
    cos, sin = position_embeddings
    q, k, v = RotaryQKV.apply(self.q_proj(hidden_states), self.k_proj(hidden_states), self.v_proj(hidden_states),
                              cos, sin, self.head_dim)
    out = FlashForwardMatmulBackward.apply(q, k, v, attention_mask, self.scaling)
    return self.o_proj(out.transpose(1, 2).reshape(batch, length, -1)), None


def _takes_own_path(module: Any, hidden_states: torch.Tensor, position_embeddings: Any,
                    mask: torch.Tensor | None, kwargs: dict) -> bool:
    """A training pass that attention.py's kernel takes, with plain (batch or 1, length, head_dim) cos and sin."""
    if not (torch.is_grad_enabled() and hidden_states.device.type == "cpu" and hidden_states.dim() == 3
            and getattr(module.config, "_attn_implementation", None) == NAME
            and not (module.training and getattr(module, "attention_dropout", 0.0))
            and not any(kwargs.get(name) is not None for name in _CACHE_KWARGS)
            and isinstance(position_embeddings, tuple) and len(position_embeddings) == 2):
        return False
    batch, length = hidden_states.shape[:2]
    return (all(isinstance(t, torch.Tensor) and t.dim() == 3 and t.shape[0] in (1, batch) and t.shape[1] == length
                and t.shape[2] == module.head_dim and not t.requires_grad and t.dtype == hidden_states.dtype
                for t in position_embeddings)
            and length > 1 and mask_takes_fast_path(module, mask, batch, length, None, kwargs))


def use_own_rotary(model: Any, failures: list[str] | None = None) -> int:
    """Give every Llama-style attention module whose probe agrees `own_attention_forward`; returns how many.
    Only where attention.py's kernel is installed (its path is what this forward calls)."""
    if getattr(model.config, "_attn_implementation", None) != NAME:
        return 0
    return replace_forwards(model, _is_candidate, _probe, own_attention_forward, "rotary", failures)


def _is_candidate(module: Any) -> bool:
    return (all(hasattr(module, name) for name in ("q_proj", "k_proj", "v_proj", "o_proj", "config"))
            and isinstance(getattr(module, "head_dim", None), int) and module.head_dim % 2 == 0
            and isinstance(getattr(module, "scaling", None), float))


def _probe(attention: Any) -> str | None:
    """None when own_attention_forward computes the module's own forward (output; input and trained weights'
    gradients) with a causal and a packed mask, with LoRA's B made non-zero for the probe."""
    trained = [p for p in attention.parameters() if p.requires_grad]
    zero_b = [p for name, p in attention.named_parameters() if "lora_B" in name]
    dtype = next(attention.parameters()).dtype
    batch, length, width = 2, 12, attention.q_proj.in_features
    was_training = attention.training
    attention.train(False)  # no dropout: its draws would differ between the two passes
    try:
        with probing(), randomized(zero_b):
            x = torch.randn(batch, length, width).to(dtype).requires_grad_(True)
            angles = torch.rand(batch, length, attention.head_dim) * 6.3
            rotary = (angles.cos().to(dtype), angles.sin().to(dtype))
            packed = torch.ones(length, length, dtype=torch.bool).tril()
            packed[5:, :5] = False  # two examples in one row
            for mask in (None, packed.expand(batch, 1, length, length)):
                if not _takes_own_path(attention, x, rotary, mask, {}):
                    return "the probe's inputs would not take this path"
                theirs = outputs_and_grads(lambda: type(attention).forward(attention, x, rotary, mask)[0], [x, *trained])
                ours = outputs_and_grads(lambda: own_attention_forward(attention, x, rotary, mask)[0], [x, *trained])
                names = ["output", "input gradient"] + [f"gradient {i}" for i in range(len(trained))]
                problem = difference(ours, theirs, dtype, names)
                if problem:
                    return f"{'packed' if mask is not None else 'causal'} mask: {problem}"
    except Exception as error:
        return f"the probe raised {type(error).__name__}: {error}"
    finally:
        attention.train(was_training)
    return None
