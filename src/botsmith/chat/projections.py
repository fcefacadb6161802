"""How the fast pass multiplies by a weight matrix: dense in the model's dtype, or weight-only int8.

Decoding one token reads every weight once, so on a CPU its speed is set by bytes
per weight. `Int8Rows` stores each output row as int8 with one symmetric scale
per row (like llama.cpp's Q8_0, with a scale per row rather than per 32 weights):
half the bytes of bf16, a quarter of fp32. Activations stay in the model's dtype;
`torch.ops.aten._weight_int8pack_mm` dequantizes on the fly inside its kernel.
"""

from __future__ import annotations

from typing import Any

WEIGHT_MODES = ("full", "int8")


class DenseRows:
    """A weight matrix [out, in] used as it is (the model's own tensor, no copy)."""

    def __init__(self, weight: Any) -> None:
        self.weight = weight

    def vector(self, v: Any) -> Any:
        """weight @ v for one activation vector; `mv`'s bf16 kernel is ~1.5x faster than `linear`'s here."""
        import torch

        return torch.mv(self.weight, v)

    def add_vector(self, total: Any, v: Any) -> Any:
        """total + weight @ v, the product rounded to the dtype before the add, as transformers rounds it.

        `torch.addmv` would round differently (no faster here): where the residual stream holds values in the
        thousands, as trained SmolLM2 checkpoints do at some tokens, later layers cancel them and the rounding
        difference reached 0.64 of the largest logit, so the load-time probe refused the lean pass."""
        import torch

        return total + torch.mv(self.weight, v)

    def rows(self, x: Any) -> Any:
        """x @ weight.T for a matrix of activations (the prompt)."""
        import torch.nn.functional as F

        return F.linear(x, self.weight)


class Int8Rows:
    """A weight matrix quantized once: int8 values and one scale per output row, in the activations' dtype."""

    def __init__(self, weight: Any) -> None:
        import torch

        with torch.no_grad():
            full = weight.detach().float()
            largest = full.abs().amax(dim=1)
            # The scale is rounded to the activation dtype first, so the int8 values are chosen for the scale
            # the kernel will actually multiply by; an all-zero row keeps scale 1 (and zeros).
            self.scales = torch.where(largest > 0, largest / 127, torch.ones_like(largest)).to(weight.dtype)
            self.values = torch.round(full / self.scales.float()[:, None]).clamp_(-127, 127).to(torch.int8)

    def vector(self, v: Any) -> Any:
        import torch

        return torch.ops.aten._weight_int8pack_mm(v[None], self.values, self.scales)[0]

    def add_vector(self, total: Any, v: Any) -> Any:
        return total + self.vector(v)

    def rows(self, x: Any) -> Any:
        import torch

        return torch.ops.aten._weight_int8pack_mm(x.contiguous(), self.values, self.scales)

    def dequantized(self) -> Any:
        """The weights this matrix stands for, in float32 (to measure the quantization error)."""
        return self.values.float() * self.scales.float()[:, None]


def int8_unavailable(dtype: Any) -> str | None:
    """Why int8 weights cannot run here with activations in `dtype`, or None when they can."""
    import torch

    if not hasattr(torch.ops.aten, "_weight_int8pack_mm"):
        return f"this torch ({torch.__version__}) has no _weight_int8pack_mm (torch >= 2.3 has)"
    try:
        probe = Int8Rows(torch.ones(8, 32, dtype=dtype))
        probe.vector(torch.ones(32, dtype=dtype))
    except RuntimeError as error:
        return f"_weight_int8pack_mm fails for {str(dtype).replace('torch.', '')} here ({str(error).splitlines()[0]})"
    return None


def projection(weight: Any, mode: str) -> "DenseRows | Int8Rows":
    return Int8Rows(weight) if mode == "int8" else DenseRows(weight)
