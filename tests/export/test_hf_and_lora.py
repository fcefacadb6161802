"""The merged Hugging Face folder with its model card, and the LoRA adapter as a GGUF."""

from __future__ import annotations

import json

import numpy as np
import pytest

from botsmith.errors import BotsmithError
from botsmith.export import export_model
from tests.export.conftest import all_passed, make_trained_bot


def quiet(line: str) -> None:
    pass


def test_hf_folder_is_the_merged_model(llama_bot, tiny_llama, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result = export_model(llama_bot, format="hf", out=tmp_path / "hf", log=quiet)
    folder = result.path
    for name in ("model.safetensors", "config.json", "tokenizer.json", "generation_config.json", "README.md"):
        assert (folder / name).is_file(), name
    assert not (folder / "adapter_config.json").exists()  # merged, standalone
    merged = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    base = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
    ids = torch.tensor([[5, 17, 42, 99]])
    with torch.no_grad():
        assert not torch.allclose(merged(ids).logits, base(ids).logits, atol=1e-3)  # the LoRA is in the weights
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    assert "<|im_start|>" in tokenizer.chat_template
    generation = json.loads((folder / "generation_config.json").read_text())
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert im_end in np.atleast_1d(generation["eos_token_id"]).tolist()
    assert generation["temperature"] == 0.7 and generation["do_sample"] is True


def test_model_card_tells_how_it_was_made(tiny_llama, tmp_path):
    bot = make_trained_bot(tmp_path / "carded", tiny_llama, "llama")
    clean = bot / "data" / "clean"
    (clean / "pg2701.json").write_text(json.dumps({"id": "pg2701", "title": "Moby Dick", "author": "Herman Melville",
                                                   "source_url": "https://www.gutenberg.org/ebooks/2701"}))
    (bot / "data" / "dataset" / "stats.json").write_text(json.dumps({"train_records": 120, "validation_records": 12}))
    run = bot / "runs" / "20260101-120000"
    (run / "config.toml").write_text("[train]\nmethod = \"lora\"\nlora_r = 4\nlearning_rate = 0.001\n")
    card = (export_model(bot, format="hf", log=quiet).path / "README.md").read_text()
    assert card.startswith("---\n") and "library_name: transformers" in card
    assert str(tiny_llama) in card  # base model
    assert "Moby Dick by Herman Melville" in card and "train records: 120" in card
    assert "| lora r | 4 |" in card and "| validation loss | 1.0000 |" in card
    assert "Hi there, friend." in card  # the run's sample output


def test_card_survives_missing_run_files(tiny_llama, tmp_path):
    bot = make_trained_bot(tmp_path / "bare", tiny_llama, "llama")
    run = bot / "runs" / "20260101-120000"
    (run / "summary.json").unlink()
    (run / "samples.jsonl").write_text('{"step": 1, "prompt": "x", "output": "y"}\n{"step": 2, "prom')  # cut line
    card = (export_model(bot, format="hf", log=quiet).path / "README.md").read_text()
    assert "## Training" in card and "**Prompt:** x" in card


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
def test_lora_adapter_gguf(kind, request, tmp_path):
    from gguf import GGUFReader

    bot = request.getfixturevalue(f"{kind}_bot")
    result = export_model(bot, format="gguf-lora", out=tmp_path / "lora", log=quiet)
    assert all_passed(result.checks), result.checks
    reader = GGUFReader(result.files[0])
    assert reader.get_field("general.type").contents() == "adapter"
    assert reader.get_field("adapter.type").contents() == "lora"
    assert reader.get_field("adapter.lora.alpha").contents() == pytest.approx(8.0)
    tensors = {tensor.name: tensor for tensor in reader.tensors}
    first = "blk.0.attn_q.weight" if kind == "llama" else "blk.0.attn_qkv.weight"
    lora_a, lora_b = tensors[f"{first}.lora_a"], tensors[f"{first}.lora_b"]
    out_rows = 32 if kind == "llama" else 96
    assert tuple(int(n) for n in lora_a.shape) == (32, 4)  # ggml ne: [n_in, r]
    assert tuple(int(n) for n in lora_b.shape) == (4, out_rows)  # ggml ne: [r, n_out]
    assert np.abs(np.asarray(lora_b.data)).max() > 0
    modelfile = (result.path / "Modelfile").read_text()
    assert f"ADAPTER ./{result.files[0].name}" in modelfile and "FROM ./base.gguf" in modelfile


def test_lora_export_of_full_checkpoint_is_refused(tiny_llama, tmp_path):
    bot = make_trained_bot(tmp_path / "full", tiny_llama, "llama", method="full")
    with pytest.raises(BotsmithError, match="full fine-tune"):
        export_model(bot, format="gguf-lora", log=quiet)
    # the full checkpoint still exports as a whole model
    result = export_model(bot, format="gguf", quant="f16", log=quiet)
    assert all_passed(result.checks), result.checks


def test_generation_config_carries_the_sampling_defaults(llama_bot):
    from botsmith.bot_folder import open_bot
    from botsmith.export.hf import generation_config
    from botsmith.models import load_checkpoint

    config = open_bot(llama_bot).config()
    loaded = load_checkpoint(next((llama_bot / "runs").glob("*/best")), merge=True, log=quiet)
    plain = generation_config(loaded, config)
    assert plain.min_p is None and (plain.temperature, plain.top_k) == (0.7, 50)
    tuned = config.model_copy(update={"generate": config.generate.model_copy(update={"min_p": 0.05, "top_k": 0})})
    assert (generation_config(loaded, tuned).min_p, generation_config(loaded, tuned).top_k) == (0.05, 0)
    assert plain.epsilon_cutoff in (None, 0.0)
    floor = config.model_copy(update={"generate": config.generate.model_copy(update={"epsilon_cutoff": 3e-4})})
    assert generation_config(loaded, floor).epsilon_cutoff == 3e-4
