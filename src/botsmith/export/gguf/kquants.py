"""k-quants (q4_k_m and friends) through llama.cpp's own quantizer.

gguf-py cannot write k-quants with llama.cpp's importance-aware mixes, so botsmith
writes an F32 GGUF in Python and hands it to llama.cpp: the `llama-quantize` program
when it is on the PATH, else the same function (`llama_model_quantize`) inside
llama-cpp-python, which `pip install 'botsmith[llamacpp]'` (and the test extra) installs.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

from botsmith.config.export import K_QUANTS
from botsmith.errors import BotsmithError

__all__ = ["K_QUANTS", "check_quant", "offered_quants", "quantize_file"]
LLAMA_QUANTIZE = "llama-quantize"
NEEDS = f"llama.cpp's {LLAMA_QUANTIZE} on the PATH or llama-cpp-python (pip install 'botsmith[llamacpp]')"


def llama_quantize_binary() -> str | None:
    return shutil.which(LLAMA_QUANTIZE)


def k_quants_available() -> bool:
    from botsmith.llama_cpp_runtime import llama_cpp_available

    return llama_quantize_binary() is not None or llama_cpp_available()


def offered_quants() -> list[str]:
    from botsmith.export.gguf.tensors import PYTHON_QUANTS

    return list(PYTHON_QUANTS) + (list(K_QUANTS) if k_quants_available() else [])


def check_quant(quant: str) -> None:
    """A clear error for a quant this machine cannot write."""
    from botsmith.export.gguf.tensors import PYTHON_QUANTS

    if quant in PYTHON_QUANTS:
        return
    if quant in K_QUANTS and not k_quants_available():
        raise BotsmithError(f"--quant {quant} needs {NEEDS}", hint=f"or use one of {', '.join(PYTHON_QUANTS)}")
    if quant not in K_QUANTS:
        raise BotsmithError(f"unknown GGUF quantization '{quant}'", hint=f"choose one of {', '.join(offered_quants())}")


def quantize_file(source: Path, target: Path, quant: str) -> None:
    """`source` (an F32 GGUF) quantized to `quant` by llama.cpp into `target`."""
    check_quant(quant)
    binary = llama_quantize_binary()
    if binary is None:
        return _quantize_in_process(source, target, quant)
    result = subprocess.run([binary, str(source), str(target), quant.upper()], capture_output=True, text=True)
    if result.returncode != 0 or not target.is_file():
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise BotsmithError(f"{LLAMA_QUANTIZE} failed for {quant}: {lines[-1] if lines else 'no output'}")


def _quantize_in_process(source: Path, target: Path, quant: str) -> None:
    """llama-cpp-python's binding of the function llama-quantize runs, with llama-quantize's defaults."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant.upper()}")
    params.nthread = 0  # llama.cpp picks: one per core
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if status != 0 or not target.is_file():
        raise BotsmithError(f"llama.cpp's quantizer failed for {quant} (status {status})",
                            hint=f"try another type, or one of the types botsmith writes itself")
