"""Sentencepiece-style tokenizers (Llama 2, Mistral 7B): BPE with byte fallback, written as model "llama"."""

from __future__ import annotations

import pytest

from botsmith.export import export_model
from tests.export.conftest import all_passed, make_trained_bot


def build_spm_llama(folder):
    """A tiny Llama with a Llama-2-style tokenizer: Metaspace, byte-fallback BPE, <s> added in front."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from botsmith.demo.corpus import sample_story_text

    backend = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    backend.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    backend.train_from_iterator([sample_story_text()], trainers.BpeTrainer(vocab_size=600, special_tokens=specials))
    backend.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                           special_tokens=[("<s>", 1)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
                         bos_token_id=1, eos_token_id=2, tie_word_embeddings=False)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def spm_bot(tmp_path_factory):
    base = build_spm_llama(tmp_path_factory.mktemp("spm-llama"))
    return make_trained_bot(tmp_path_factory.mktemp("bots") / "spm-bot", base, "llama")


def test_sentencepiece_tokenizer_round_trip(spm_bot, tmp_path):
    from gguf import GGUFReader

    result = export_model(spm_bot, format="gguf", quant="q8_0", out=tmp_path / "out", log=lambda line: None)
    assert all_passed(result.checks), result.checks
    assert any("tokenizer: the tokenizer rebuilt" in check for check in result.checks)
    # prepend_scheme "first": llama.cpp's legacy space after special tokens differs, and the user is told
    assert any("follows a special token" in warning for warning in result.warnings)
    reader = GGUFReader(result.files[0])
    value = lambda key: reader.get_field(key).contents()  # noqa: E731
    assert value("tokenizer.ggml.model") == "llama"
    assert value("tokenizer.ggml.add_bos_token") is True
    assert value("tokenizer.ggml.add_space_prefix") is True
    tokens, types, scores = value("tokenizer.ggml.tokens"), value("tokenizer.ggml.token_type"), value("tokenizer.ggml.scores")
    assert types[tokens.index("<0x41>")] == 6 and types[tokens.index("<unk>")] == 2 and types[tokens.index("</s>")] == 3
    # earlier merges score higher, so llama.cpp's score-driven merging replays the BPE order
    assert max(scores) == 0 and min(scores) < -100
    assert "output.weight" in {tensor.name for tensor in reader.tensors}  # untied embeddings


def test_scores_replay_merges_and_flat_scores_would_not(spm_bot):
    """The check that guards the scores: flat scores (what gguf-py's LlamaHfVocab writes) tokenize differently."""
    from transformers import AutoTokenizer

    from botsmith.export.gguf.spm import llama_cpp_spm_encode
    from botsmith.export.gguf.tokenizer import PROBE_TEXT, build_vocab

    tokenizer = AutoTokenizer.from_pretrained(str(spm_bot / "runs" / "20260101-120000" / "best"))
    vocab = build_vocab(tokenizer, n_vocab=len(tokenizer), chat_template=None, end_of_turn=None)
    expected = tokenizer(PROBE_TEXT, add_special_tokens=False)["input_ids"]
    assert llama_cpp_spm_encode(PROBE_TEXT, vocab.tokens, vocab.scores, add_space_prefix=True) == expected
    flat = [-1000.0] * len(vocab.tokens)
    assert llama_cpp_spm_encode(PROBE_TEXT, vocab.tokens, flat, add_space_prefix=True) != expected


def test_scores_check_is_reported(spm_bot, tmp_path):
    result = export_model(spm_bot, format="gguf", quant="f16", out=tmp_path / "out", log=lambda line: None)
    assert any(check.strip().startswith("ok   scores") for check in result.checks), result.checks
