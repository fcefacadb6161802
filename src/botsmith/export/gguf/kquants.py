"""k-quants (q4_k_m and friends) through llama.cpp's own quantizer.

gguf-py cannot write k-quants with llama.cpp's importance-aware mixes, so botsmith
writes an F32 GGUF in Python and hands it to llama.cpp: the `llama-quantize` program
when it is on the PATH, else the same function (`llama_model_quantize`) inside
llama-cpp-python, which `pip install 'botsmith[llamacpp]'` (and the test extra) installs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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


def quantize_file(source: Path, target: Path, quant: str) -> list[str]:
    """`source` (an F32 GGUF) quantized to `quant` by llama.cpp into `target`; returns warnings for the user
    (tensors whose rows do not fill k-quant blocks get another type)."""
    check_quant(quant)
    binary = llama_quantize_binary()
    if binary is None:
        output = _quantize_in_process(source, target, quant)
    else:
        result = subprocess.run([binary, str(source), str(target), quant.upper()], capture_output=True, text=True)
        output = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        if result.returncode != 0 or not target.is_file():
            raise BotsmithError(f"{LLAMA_QUANTIZE} failed for {quant}: {output[-1] if output else 'no output'}")
    fallback = [line.split("WARNING:", 1)[1].strip() for line in output if "required fallback quantization" in line]
    return [f"{quant}: {fallback[0]} (rows not a multiple of 256 values get a simpler type)"] if fallback else []


def _quantize_in_process(source: Path, target: Path, quant: str) -> list[str]:
    """llama-cpp-python's binding of the function llama-quantize runs, with llama-quantize's defaults."""
    import llama_cpp

    from botsmith.export.gguf.tensors import PYTHON_QUANTS

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant.upper()}")
    params.nthread = 0  # llama.cpp picks: one per core
    with _output_captured() as output:  # a line per tensor, as llama-quantize prints
        status = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if status != 0 or not target.is_file():
        raise BotsmithError(f"llama.cpp's quantizer failed for {quant}: {output[-1] if output else f'status {status}'}",
                            hint=f"try another type, or one of {', '.join(PYTHON_QUANTS)}")
    return output


@contextlib.contextmanager
def _output_captured() -> Iterator[list[str]]:
    """The process's stdout and stderr (llama.cpp's C code writes to them directly) kept out of the terminal
    meanwhile; the yielded list holds their non-empty lines afterwards."""
    lines: list[str] = []
    with tempfile.TemporaryFile() as sink:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)
            sink.seek(0)
            lines.extend(line for line in sink.read().decode(errors="replace").splitlines() if line.strip())
