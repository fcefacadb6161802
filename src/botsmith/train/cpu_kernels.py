"""botsmith's CPU training kernels, installed on a prepared model, and what the run log says about them.

With `[train] cpu_kernels = true` (the default) a LoRA run on the CPU gets: LoRA dropout from
15-bit draws (dropout.py), the fused LoRA forward (dropout.py), sibling projections as one
matmul (sibling_lora.py), the fused RMSNorm (rms_norm.py) and the attention backward in
batched matmuls (attention.py); full fine-tuning gets the last two. Each replaces a module
only after its numerical probe agrees with what the module computes (probe.py); a probe that
fails is a line in the log and the module keeps its own forward. The fused output-layer loss
(loss.py) follows the same switch and probe on every device. `cpu_kernels = false` trains with
transformers' and PEFT's modules as they come.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class KernelReport:
    """Which kernels replaced how many modules, and every probe that failed."""

    enabled: bool
    active: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, name: str, count: int | bool) -> None:
        if count:
            self.active[name] = int(count)

    def add_loss(self, loss: Any) -> None:
        """The fused loss's verdict (a LossComputer): active, or the probe's reason."""
        self.add("fused loss", loss.head is not None)
        if loss.failure:
            self.failures.append(f"fused loss: uses the model's own logits: {loss.failure}")

    def lines(self) -> list[str]:
        if not self.enabled:
            return ["kernels: transformers' and PEFT's own ([train] cpu_kernels = false)"]
        active = ", ".join(f"{name} ({count})" if count > 1 else name for name, count in self.active.items())
        return [f"kernels: {active or 'none applied'}", *(f"kernel probe failed: {line}" for line in self.failures)]


def install_cpu_kernels(model: Any, *, lora: bool) -> KernelReport:
    """Install every kernel whose probe passes on `model` (a PEFT model when `lora`), on the CPU."""
    from botsmith.train.attention import use_cpu_attention
    from botsmith.train.dropout import use_fast_dropout, use_fast_lora_forward
    from botsmith.train.rms_norm import use_fast_rms_norm
    from botsmith.train.sibling_lora import use_sibling_lora
    from botsmith.train.swiglu import use_fused_swiglu

    report = KernelReport(enabled=True)
    keep_forwards_across_mode_changes(model)
    if lora:
        report.add("LoRA dropout", use_fast_dropout(model, report.failures))
        report.add("fused LoRA forward", use_fast_lora_forward(model, report.failures))
        report.add("sibling LoRA groups", use_sibling_lora(model, report.failures))
    report.add("RMSNorm", use_fast_rms_norm(model, report.failures))
    report.add("SwiGLU", use_fused_swiglu(model, report.failures))
    report.add("attention backward", use_cpu_attention(model, report.failures))
    return report


def keep_forwards_across_mode_changes(model: Any) -> None:
    """Stop transformers from putting its own forwards back on every train()/eval().

    transformers 5 loads models with Hub kernels on ("kernels" installed, USE_HUB_KERNELS unset) and
    "kernelizes" the model again whenever its training mode changes: each RMSNorm decorated for Hub
    kernels gets its class's forward back, which undid the fused RMSNorm at the run's first
    evaluation, silently. On the CPU those Hub kernels fall back to the class's forward anyway, so
    switching them off here loses nothing.
    """
    get_base = getattr(model, "get_base_model", None)
    base = get_base() if callable(get_base) else model
    if getattr(base, "use_kernels", False):
        base.use_kernels = False  # resets the layers to their own forwards, before botsmith's are installed
