"""GGUF export of tiny Llama and GPT-2 bots: written in Python, read back by independent readers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from botsmith.errors import BotsmithError
from botsmith.export import export_model
from botsmith.llama_cpp_runtime import llama_cpp_available
from tests.export.conftest import all_passed


def quiet(line: str) -> None:
    pass


def reader_value(reader, key):
    field = reader.get_field(key)
    return None if field is None else field.contents()


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
@pytest.mark.parametrize("quant", ["f16", "q8_0", "q4_0"])
def test_gguf_round_trip(kind, quant, request, tmp_path):
    bot = request.getfixturevalue(f"{kind}_bot")
    result = export_model(bot, format="gguf", quant=quant, out=tmp_path / "out", log=quiet)
    gguf_file = result.files[0]
    assert gguf_file.suffix == ".gguf" and gguf_file.is_file()
    names = [check.split(":")[0].split(maxsplit=1)[1] for check in result.checks]
    assert names[:6] == ["metadata", "vocabulary", "tensors", "layout", "predictions", "tokenizer"]
    llama_cpp = ["llama.cpp tokens", "llama.cpp predictions"] if llama_cpp_available() else ["llama.cpp"]
    assert names[6:] == llama_cpp
    assert all_passed(result.checks), result.checks
    # f16 and q8_0 stay close to the Hugging Face model; q4_0 only roughly
    limit = {"f16": 0.01, "q8_0": 0.1, "q4_0": 1.0}[quant]  # (the largest difference over every probe position)
    assert result.max_logit_diff is not None and result.max_logit_diff < limit


def test_gguf_metadata_read_back_independently(llama_bot, tmp_path):
    from gguf import GGUFReader
    from transformers import AutoTokenizer

    from botsmith.chat_format import chat_format_for

    result = export_model(llama_bot, format="gguf", quant="q8_0", out=tmp_path / "out", log=quiet)
    reader = GGUFReader(result.files[0])
    checkpoint = llama_bot / "runs" / "20260101-120000" / "best"
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    assert reader_value(reader, "general.architecture") == "llama"
    assert reader_value(reader, "tokenizer.ggml.model") == "gpt2"
    assert reader_value(reader, "tokenizer.ggml.pre") == "gpt-2"
    assert reader_value(reader, "tokenizer.ggml.tokens") == tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    # the bot's template: its system prompt is the default, so llama.cpp renders what training did
    bot_format = chat_format_for(tokenizer).with_system("You are a sea captain.")
    assert reader_value(reader, "tokenizer.chat_template") == bot_format.jinja
    assert reader_value(reader, "tokenizer.ggml.eos_token_id") == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert reader_value(reader, "tokenizer.ggml.add_bos_token") is False
    assert reader_value(reader, "llama.attention.head_count_kv") == 2
    names = {tensor.name for tensor in reader.tensors}
    assert "output.weight" not in names  # tied embeddings: llama.cpp reuses token_embd
    types = {tensor.name: tensor.tensor_type.name for tensor in reader.tensors}
    assert types["blk.0.attn_q.weight"] == "Q8_0" and types["blk.0.attn_norm.weight"] == "F32"


def test_gpt2_writes_output_and_transposed_weights(gpt2_bot, tmp_path):
    from gguf import GGUFReader
    from gguf.quants import dequantize

    result = export_model(gpt2_bot, format="gguf", quant="f16", out=tmp_path / "out", log=quiet)
    tensors = {tensor.name: tensor for tensor in GGUFReader(result.files[0]).tensors}
    embed = dequantize(tensors["token_embd.weight"].data, tensors["token_embd.weight"].tensor_type)
    output = dequantize(tensors["output.weight"].data, tensors["output.weight"].tensor_type)
    assert np.array_equal(embed, output)
    qkv = tensors["blk.0.attn_qkv.weight"]
    assert tuple(int(n) for n in qkv.shape) == (32, 96)  # ggml order: n_in first, like a torch Linear [96, 32]


def test_missing_qk_permutation_is_caught(llama_bot, tmp_path, monkeypatch):
    """A writer that forgets llama.cpp's Q/K permutation must fail verification, not ship."""
    import dataclasses

    from botsmith.export.gguf import architectures

    broken = dataclasses.replace(architectures._ARCHITECTURES["llama"],
                                 layout=lambda name, tensor, config: iter([(name, tensor)]) if name != "lm_head.weight" else iter(()),
                                 reorder_rows=lambda name, tensor, config: tensor)
    monkeypatch.setitem(architectures._ARCHITECTURES, "llama", broken)
    with pytest.raises(BotsmithError, match="layout"):
        export_model(llama_bot, format="gguf", quant="f16", out=tmp_path / "out", log=quiet)
    assert not (tmp_path / "out").exists()


def test_unsupported_architecture_lists_supported(tmp_path):
    from transformers import OPTConfig

    from botsmith.export.gguf.architectures import architecture_for

    config = OPTConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32)
    with pytest.raises(BotsmithError) as error:  # OPT: llama.cpp does not run it
        architecture_for(config)
    assert "'opt' architecture" in str(error.value) and "--format hf" in str(error.value)
    for name in ("bloom", "gemma", "gpt2", "gpt_neox", "llama", "mistral", "phi3", "qwen2", "qwen3"):
        assert name in str(error.value)


def test_existing_export_needs_force(llama_bot, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(BotsmithError, match="--force"):
        export_model(llama_bot, format="gguf", quant="f16", out=out, log=quiet)
    assert (out / "keep.txt").read_text() == "mine"
    export_model(llama_bot, format="gguf", quant="f16", out=out, force=True, log=quiet)
    assert not (out / "keep.txt").exists() and any(out.glob("*.gguf"))


def test_untrained_bot_is_a_clear_error(tmp_path, tiny_llama):
    from botsmith.bot_folder import new_bot

    new_bot(tmp_path / "fresh", base_model=str(tiny_llama))
    with pytest.raises(BotsmithError, match="train the bot first"):
        export_model(tmp_path / "fresh", format="gguf", log=quiet)
    assert not any((tmp_path / "fresh" / "exports").iterdir())


def test_k_quant_without_llama_cpp(llama_bot, tmp_path, monkeypatch):
    from botsmith import llama_cpp_runtime

    monkeypatch.setenv("PATH", str(tmp_path))  # no llama-quantize
    monkeypatch.setattr(llama_cpp_runtime, "llama_cpp_available", lambda: False)  # and no llama-cpp-python
    with pytest.raises(BotsmithError, match="llama-quantize on the PATH or llama-cpp-python"):
        export_model(llama_bot, format="gguf", quant="q4_k_m", out=tmp_path / "out", log=quiet)


def test_export_files_are_readable_by_others(llama_bot, tmp_path):
    result = export_model(llama_bot, format="gguf", quant="f16", out=tmp_path / "out", log=quiet)
    assert all(path.stat().st_mode & 0o044 == 0o044 for path in result.files)


def test_params_file_is_json(llama_bot, tmp_path):
    result = export_model(llama_bot, format="gguf", quant="f16", out=tmp_path / "out", log=quiet)
    params = json.loads((result.path / "params").read_text())
    assert params["stop"] == ["<|im_end|>"]


def test_base_checkpoint_exports_the_untrained_model(llama_bot, tmp_path):
    """--checkpoint base gives the base GGUF a LoRA adapter export (gguf-lora) applies to."""
    from gguf import GGUFReader

    result = export_model(llama_bot, format="gguf", quant="f16", checkpoint="base", out=tmp_path / "base", log=quiet)
    assert all_passed(result.checks), result.checks
    assert GGUFReader(result.files[0]).get_field("general.architecture").contents() == "llama"


def _logits(seed: int, positions: int = 200, vocab: int = 50, spread: float = 4.0):
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.randn(positions, vocab, generator=generator) * spread


@pytest.mark.parametrize("quant", ["f16", "q8_0", "q4_0"])
def test_the_predictions_check_can_fail(quant):
    """Same logits pass; a file predicting something else fails, whatever the type (q4_0's limit included)."""
    from botsmith.export.gguf.verify import Verification, check_predictions

    model = _logits(0)
    for other, should_pass in ((model, True), (model + 0.01 * _logits(1), True), (_logits(2), False),
                               (model + 4.0 * _logits(3), False)):
        result = Verification(Path("x.gguf"))
        check_predictions(result, "predictions", [model], [other], quant, "the file")
        assert result.ok == should_pass, result.lines()


def test_near_ties_of_the_model_do_not_count_against_the_file():
    import torch

    from botsmith.export.gguf.verify import Verification, check_predictions

    model = torch.zeros(100, 20)
    model[:, 0] = 0.05  # the model barely prefers token 0 (5%: a tie any rounding may flip)
    other = torch.zeros(100, 20)
    other[:, 1] = 0.05  # the file barely prefers token 1
    result = Verification(Path("x.gguf"))
    check_predictions(result, "predictions", [model], [other], "q8_0", "the file")
    assert result.ok and "at 100.0% of 100 positions" in result.lines()[0]
    model[:, 0] = 1.0  # now the model clearly prefers token 0
    result = Verification(Path("x.gguf"))
    check_predictions(result, "predictions", [model], [other], "q8_0", "the file")
    assert not result.ok and "at 0.0% of 100 positions" in result.lines()[0]


def test_without_llama_cpp_the_check_is_printed_as_skipped(llama_bot, tmp_path, monkeypatch):
    from botsmith.export.gguf import verify

    monkeypatch.setattr(verify, "llama_cpp_available", lambda: False)
    lines: list[str] = []
    result = export_model(llama_bot, format="gguf", quant="q8_0", out=tmp_path / "out", log=lines.append)
    assert result.checks[-1].startswith("  skip llama.cpp: llama-cpp-python is not installed")
    assert any(line.startswith("  skip llama.cpp") for line in "\n".join(lines).splitlines())
