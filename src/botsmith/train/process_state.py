"""What a training run changes for the whole process, changed for the run and put back when it ends.

`train()` is a library call: after it returns, the caller's process must be as it was.
- torch's thread count ([train] threads) is restored;
- flushing denormal floats to zero (on for CPU kernels: Adam's second moments of small
  LoRA gradients reach denormals, which x86 CPUs process ~100x slower) is restored;
- the attention implementation registered with transformers is removed again.
One change stays, documented and behind `[train] cpu_kernels`: glibc's malloc is tuned once per
process to keep freed activations (malloc.py), because it cannot be undone: glibc has no way to
read back the dynamic thresholds it had.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botsmith.config.train import TrainSection

_MALLOC_TUNED: list[bool] = []  # once per process: [] until tried, then [whether it applied]


@contextmanager
def run_process_state(train: TrainSection, *, cpu: bool) -> Iterator[list[str]]:
    """Apply the run's process-wide settings; yields lines for the run log; restores on exit."""
    import torch

    from botsmith.train.attention import remove_cpu_attention

    threads, flushing = torch.get_num_threads(), flush_denormal_enabled()
    lines = []
    try:
        if train.threads:
            torch.set_num_threads(train.threads)
        if train.cpu_kernels and cpu:
            if torch.set_flush_denormal(True):
                lines.append("denormal floats flush to zero during the run")
            if malloc_tuned_once():
                lines.append("glibc malloc keeps freed memory for the next step (once per process)")
        yield lines
    finally:
        torch.set_num_threads(threads)
        torch.set_flush_denormal(flushing)
        remove_cpu_attention()


def flush_denormal_enabled() -> bool:
    """Whether denormal floats are flushed to zero now (torch has a setter but no getter: a denormal tells)."""
    import torch

    return float(torch.tensor([1e-39], dtype=torch.float32).mul(1.0)[0]) == 0.0


def malloc_tuned_once() -> bool:
    from botsmith.train.malloc import keep_freed_memory

    if not _MALLOC_TUNED:
        _MALLOC_TUNED.append(keep_freed_memory())
    return _MALLOC_TUNED[0]
