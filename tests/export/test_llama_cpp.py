"""llama.cpp itself runs the exports (needs llama-cpp-python; skipped where it is not installed)."""

from __future__ import annotations

import pytest

from botsmith.export import export_model
from botsmith.llama_cpp_runtime import llama_cpp_available
from tests.export.conftest import all_passed

pytestmark = pytest.mark.skipif(not llama_cpp_available(), reason="llama-cpp-python is not installed")


def quiet(line: str) -> None:
    pass


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
def test_llama_cpp_tokens_and_logits(kind, request, tmp_path):
    bot = request.getfixturevalue(f"{kind}_bot")
    result = export_model(bot, format="gguf", quant="q8_0", out=tmp_path / "out", log=quiet)
    lines = {line.split(":")[0].split(maxsplit=1)[1]: line for line in result.checks}
    assert lines["llama.cpp tokens"].strip().startswith("ok")
    assert lines["llama.cpp predictions"].strip().startswith("ok")


def test_llama_cpp_applies_the_lora_adapter(llama_bot, tmp_path):
    result = export_model(llama_bot, format="gguf-lora", out=tmp_path / "lora", log=quiet)
    assert any(line.strip().startswith("ok   llama.cpp: base + adapter") for line in result.checks)


def test_k_quant_through_llama_cpp(llama_bot, tmp_path, monkeypatch):
    """Without llama-quantize on the PATH, llama-cpp-python's own quantizer writes the k-quant."""
    from gguf import GGUFReader

    monkeypatch.setenv("PATH", str(tmp_path))
    result = export_model(llama_bot, format="gguf", quant="q4_k_m", out=tmp_path / "k", log=quiet)
    assert all_passed(result.checks), result.checks
    types = {tensor.tensor_type.name for tensor in GGUFReader(result.files[0]).tensors}
    assert types & {"Q4_K", "Q5_K", "Q6_K", "Q8_0", "Q5_0", "Q4_0"}, types
