"""k-quants (q4_k_m and friends) through llama.cpp's `llama-quantize`, when it is on the PATH.

gguf-py cannot write k-quants with llama.cpp's importance-aware mixes, so botsmith
writes an F32 GGUF in Python and hands it to the real tool.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from botsmith.errors import BotsmithError

from botsmith.config.export import K_QUANTS

__all__ = ["K_QUANTS", "check_quant", "offered_quants", "quantize_file"]
LLAMA_QUANTIZE = "llama-quantize"


def llama_quantize_binary() -> str | None:
    return shutil.which(LLAMA_QUANTIZE)


def offered_quants() -> list[str]:
    from botsmith.export.gguf.tensors import PYTHON_QUANTS

    return list(PYTHON_QUANTS) + (list(K_QUANTS) if llama_quantize_binary() else [])


def check_quant(quant: str) -> None:
    """A clear error for a quant this machine cannot write."""
    from botsmith.export.gguf.tensors import PYTHON_QUANTS

    if quant in PYTHON_QUANTS:
        return
    if quant in K_QUANTS and not llama_quantize_binary():
        raise BotsmithError(f"--quant {quant} needs llama.cpp's {LLAMA_QUANTIZE} on the PATH",
                            hint=f"install llama.cpp, or use one of {', '.join(PYTHON_QUANTS)}")
    if quant not in K_QUANTS:
        raise BotsmithError(f"unknown GGUF quantization '{quant}'", hint=f"choose one of {', '.join(offered_quants())}")


def quantize_file(source: Path, target: Path, quant: str) -> None:
    binary = llama_quantize_binary()
    if binary is None:
        check_quant(quant)
    result = subprocess.run([binary, str(source), str(target), quant.upper()], capture_output=True, text=True)
    if result.returncode != 0 or not target.is_file():
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise BotsmithError(f"{LLAMA_QUANTIZE} failed for {quant}: {lines[-1] if lines else 'no output'}")
