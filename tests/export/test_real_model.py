"""The real default model (SmolLM2-135M-Instruct) through the GGUF path: slow, run under flock."""

from __future__ import annotations

import pytest

from botsmith.export import export_model
from tests.export.conftest import all_passed, make_trained_bot


@pytest.mark.slow
def test_real_model_lora_to_gguf(real_home, tmp_path):
    from botsmith.models import resolve_model

    base = resolve_model("smollm2-135m", log=lambda line: None)
    bot = make_trained_bot(tmp_path / "real-bot", base, "llama", system_prompt="You are a sea captain.")
    for quant in ("q8_0",):  # f16, bf16 and q4_0 are covered on the tiny models
        result = export_model(bot, format="gguf", quant=quant, log=lambda line: None)
        assert all_passed(result.checks), result.checks
        assert result.max_logit_diff is not None
        print(quant, result.checks)
    from gguf import GGUFReader

    # found through llama.cpp's own token-hash table, as its converter would name it
    assert GGUFReader(result.files[0]).get_field("tokenizer.ggml.pre").contents() == "smollm"
    adapter = export_model(bot, format="gguf-lora", log=lambda line: None)
    assert all_passed(adapter.checks), adapter.checks
