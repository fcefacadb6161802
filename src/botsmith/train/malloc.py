"""Keep freed memory in the process for the next step, instead of handing it back to the OS.

torch's CPU tensors come from malloc. glibc serves large blocks by mmap and trims the
heap's free top back to the OS, so a training step that frees and re-allocates the same
few-megabyte activations page-faults them in again every step: 12-70 thousand minor
faults a step for a LoRA step of the default model on a 2-core CPU. With blocks up to
32 MB taken from the heap and no trimming, a step faults a handful of pages. The cost: memory freed after the peak stays with the process until it
exits (the peak itself does not grow).
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
_MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value
_TRIM_THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for repeated same-size allocations; False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mapped = libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        return bool(mapped) and bool(libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to tune
        return False
