"""Running llama.cpp (through llama-cpp-python) on this machine: shared by export checks and chat.

llama-cpp-python is optional (`pip install 'botsmith[llamacpp]'`). Where it is
installed, models are loaded without llama.cpp's repacked weight buffers: on some
virtual machines the CPU flags promise AMX, and the AMX kernels then trap with an
illegal instruction. The plain kernels compute the same thing.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botsmith.errors import missing_dependency

LLAMA_CPP_MISSING = "llama-cpp-python is not installed (pip install 'botsmith[llamacpp]')"


def llama_cpp_available() -> bool:
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:  # installed but broken (a missing dependency, a library built for another CPU): treat as absent
        import llama_cpp  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def require_llama_cpp() -> None:
    """A one-line error with the install hint where llama-cpp-python cannot be imported."""
    if not llama_cpp_available():
        raise missing_dependency("llama-cpp-python", "llamacpp")


@contextlib.contextmanager
def plain_weight_buffers() -> Iterator[None]:
    """Load without llama.cpp's repacked weight buffers (AMX and friends), which crash on some VMs."""
    import llama_cpp.llama_cpp as bindings

    original = bindings.llama_model_default_params

    def params() -> Any:
        value = original()
        value.use_extra_bufts = False
        return value

    bindings.llama_model_default_params = params
    try:
        yield
    finally:
        bindings.llama_model_default_params = original


def load_llama(path: Path, **options: Any) -> Any:
    """`llama_cpp.Llama(model_path=path, **options)` with plain weight buffers and no log output."""
    from llama_cpp import Llama

    with plain_weight_buffers():
        return Llama(model_path=str(path), verbose=False, **options)
