"""Gemma, Phi-3, Qwen3, BLOOM and GPT-NeoX through the GGUF writer, checked by llama.cpp itself.

Each family is a tiny random model built here from its transformers config (2 layers, width
32) with the test tokenizer; llama.cpp (llama-cpp-python) must tokenize like the original
and compute the same next-token logits (test_gguf.py: a family llama.cpp does not run is
refused with a message naming --format hf).
"""

from __future__ import annotations

import pytest

from botsmith.llama_cpp_runtime import llama_cpp_available
from tests.conftest import TINY_TOKENIZER

SHAPE = dict(vocab_size=512, hidden_size=32, num_hidden_layers=2, num_attention_heads=4)


def tiny_model(family: str):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    decoder = dict(SHAPE, intermediate_size=64, max_position_embeddings=256)
    if family == "gemma":
        model = tf.GemmaForCausalLM(tf.GemmaConfig(**decoder, num_key_value_heads=2, head_dim=8))
    elif family == "phi3":
        model = tf.Phi3ForCausalLM(tf.Phi3Config(**decoder, num_key_value_heads=2, original_max_position_embeddings=256,
                                                 sliding_window=None, pad_token_id=0))
    elif family == "qwen3":
        model = tf.Qwen3ForCausalLM(tf.Qwen3Config(**decoder, num_key_value_heads=2, head_dim=8,
                                                   tie_word_embeddings=True))
    elif family == "bloom":
        model = tf.BloomForCausalLM(tf.BloomConfig(vocab_size=512, hidden_size=32, n_layer=2, n_head=4))
    else:
        model = tf.GPTNeoXForCausalLM(tf.GPTNeoXConfig(**decoder, rotary_pct=0.5, tie_word_embeddings=False))
    for name, parameter in model.named_parameters():  # random norms and biases, so a lost offset or bias shows
        if parameter.dim() == 1:
            torch.nn.init.normal_(parameter, mean=0.0 if "bias" in name else 0.5, std=0.2)
    return model.eval()


@pytest.mark.skipif(not llama_cpp_available(), reason="llama-cpp-python is not installed")
@pytest.mark.parametrize("family, arch", [("gemma", "gemma"), ("phi3", "phi3"), ("qwen3", "qwen3"),
                                          ("bloom", "bloom"), ("gpt_neox", "gptneox")])
def test_llama_cpp_runs_the_family(family, arch, tmp_path):
    from transformers import AutoTokenizer

    from botsmith.chat_format import chatml
    from botsmith.export.gguf.verify import verify_gguf
    from botsmith.export.gguf.writer import write_gguf

    tokenizer = AutoTokenizer.from_pretrained(str(TINY_TOKENIZER))
    model = tiny_model(family)
    path = tmp_path / f"{family}.gguf"
    written = write_gguf(model, tokenizer, path, quant="f16", chat_template=chatml().jinja, end_of_turn="<|im_end|>")
    assert written.architecture == arch
    verification = verify_gguf(path, model, tokenizer, written)
    assert verification.ok, verification.lines()
    names = [check.name for check in verification.checks]
    assert "llama.cpp tokens" in names and "llama.cpp logits" in names

