"""Dropout for LoRA inputs on the CPU, about 4x faster than torch's.

torch's CPU dropout draws a float per element through a Bernoulli kernel; in a LoRA
step on a 2-core CPU that was a third of the time (210 adapter inputs per step for
a 30-layer model). Here each element's keep/drop decision comes from 15 random bits
(four elements per 64-bit draw), so the drop probability is exact to 1/32768; the
masks are independent per layer and per element, as in PEFT, and come from torch's
generator, so seeding and resume work unchanged.
"""

from __future__ import annotations

from typing import Any

import torch


def fast_dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    count = x.numel()
    words = torch.empty((count + 3) // 4, dtype=torch.int64, device=x.device).random_()
    bits = words.view(torch.int16)[:count].view(x.shape)
    keep = torch.bitwise_and(bits, 0x7FFF).ge_(round(p * 32768))
    return x.mul(keep).mul_(1.0 / (1.0 - p))


class FastDropout(torch.nn.Dropout):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return fast_dropout(x, self.p)


def use_fast_dropout(model: Any) -> int:
    """Swap the LoRA layers' dropout modules for FastDropout; returns how many were swapped."""
    swapped = 0
    for module in model.modules():
        dropouts = getattr(module, "lora_dropout", None)
        if not isinstance(dropouts, torch.nn.ModuleDict):
            continue
        for name, dropout in list(dropouts.items()):
            if type(dropout) is torch.nn.Dropout:
                dropouts[name] = FastDropout(dropout.p)
                swapped += 1
    return swapped
