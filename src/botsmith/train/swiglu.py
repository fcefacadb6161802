"""The SwiGLU MLP's elementwise part (silu(gate) * up) as one generated kernel each way, for CPU training.

transformers computes down(silu(gate(x)) * up(x)) as a silu, a multiply and, backward, two
multiplies and a silu_backward: five passes over (tokens x intermediate) tensors, ~5.5 ms a
layer for the default model's 8 x 256 tokens on 2 cores, and sibling_lora.py then joined
gate's and up's gradients with a copy (~2.5 ms). `SwiGLUFunction` makes one pass forward
and one backward (compiled.py) that writes both gradients side by side in one tensor, which
the sibling matmul reads as its combined gradient as it is. It saves gate and up, which
autograd kept anyway, and not silu(gate), which it kept too.

An MLP gets `fused_mlp_forward` only after a probe found its outputs and gradients (input,
and any trained weights) equal to the MLP's own forward; others keep theirs.
"""

from __future__ import annotations

from typing import Any

import torch

from botsmith.train.compiled import compiled


class SwiGLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        width = gate.shape[-1]
        gate_rows, up_rows = gate.reshape(-1, width), up.reshape(-1, width)  # views where they are the sibling's halves
        ctx.save_for_backward(gate_rows, up_rows)
        ctx.shape = gate.shape
        return compiled("swiglu_forward")(gate_rows, up_rows).view(gate.shape)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        gate, up = ctx.saved_tensors
        both = compiled("swiglu_backward")(grad.reshape(gate.shape), gate, up)
        return tuple(part.view(ctx.shape) for part in both.split(gate.shape[-1], -1))


def fused_mlp_forward(self: Any, x: torch.Tensor) -> torch.Tensor:
    return self.down_proj(SwiGLUFunction.apply(self.gate_proj(x), self.up_proj(x)))


def use_fused_swiglu(model: Any, failures: list[str] | None = None) -> int:
    """Give every gate/up/down MLP with a SiLU activation whose probe agrees the fused forward; returns how many."""
    from botsmith.train.probe import replace_forwards

    return replace_forwards(model, _is_candidate, _probe, fused_mlp_forward, "SwiGLU", failures)


def _is_candidate(module: Any) -> bool:
    act = getattr(module, "act_fn", None)
    return (all(hasattr(module, name) for name in ("gate_proj", "up_proj", "down_proj"))
            and (isinstance(act, torch.nn.SiLU) or type(act).__name__ == "SiLUActivation"))


def _probe(mlp: Any) -> str | None:
    """None when fused_mlp_forward computes the MLP's own forward (output; input and trained weights' gradients),
    with LoRA's B (zero at the start) made non-zero for the probe."""
    from botsmith.train.probe import difference, outputs_and_grads, probing, randomized

    trained = [p for p in mlp.parameters() if p.requires_grad]
    zero_b = [p for name, p in mlp.named_parameters() if "lora_B" in name]
    first = next(mlp.parameters())
    was_training = mlp.training
    mlp.train(False)  # no dropout: its draws would differ between the two passes
    try:
        with probing(), randomized(zero_b):
            x = torch.randn(2, 3, mlp.gate_proj.in_features).to(first.dtype).requires_grad_(True)
            theirs = outputs_and_grads(lambda: type(mlp).forward(mlp, x), [x, *trained])
            ours = outputs_and_grads(lambda: fused_mlp_forward(mlp, x), [x, *trained])
    except Exception as error:
        return f"the probe raised {type(error).__name__}: {error}"
    finally:
        mlp.train(was_training)
    names = ["output", "input gradient"] + [f"gradient {i}" for i in range(len(trained))]
    return difference(ours, theirs, first.dtype, names)
