"""keep_freed_memory: activation-sized blocks come from the heap and stay there for the next step."""

from __future__ import annotations

import subprocess
import sys

import pytest

from botsmith.train.malloc import keep_freed_memory

# Four 12 MB blocks (a step's activations), then freed. glibc's mallinfo2 reports how much
# is in mmapped blocks (each faulted in afresh when allocated) and how big the heap stays.
PROGRAM = """
import ctypes, sys, torch
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "keep":
    from botsmith.train.malloc import keep_freed_memory
    assert keep_freed_memory()
blocks = [torch.ones(3 << 20) for _ in range(4)]
mapped = libc.mallinfo2().hblkhd
del blocks
print(mapped >> 20, libc.mallinfo2().arena >> 20)
"""


def _megabytes(mode: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    mapped, heap = map(int, out.stdout.split())
    return mapped, heap


@pytest.mark.skipif(not keep_freed_memory(), reason="not glibc: nothing to tune")
def test_activation_sized_blocks_stay_in_the_heap():
    default_mapped, default_heap = _megabytes("default")
    kept_mapped, kept_heap = _megabytes("keep")
    assert default_mapped >= 48 and kept_mapped < 12  # glibc's default maps each block; tuned, none
    assert kept_heap >= default_heap + 40  # and the freed 48 MB stay in the heap for the next step
