"""Every architecture beyond the tiny Llama and GPT-2 through the writer and the verifier, from tiny random
models built here from their transformers configs (2 layers, width 32, the test tokenizer).

Qwen2 and Mistral are checked by transformers' GGUF reader (and llama.cpp when installed); Gemma,
Phi-3, Qwen3, BLOOM and GPT-NeoX by llama.cpp itself (llama-cpp-python), which must tokenize like the
original and compute the same next-token logits. test_gguf.py: a family llama.cpp does not run is
refused with a message naming --format hf.
"""

from __future__ import annotations

import pytest

from botsmith.llama_cpp_runtime import llama_cpp_available
from tests.conftest import TINY_TOKENIZER

NEEDS_LLAMA_CPP = pytest.mark.skipif(not llama_cpp_available(), reason="llama-cpp-python is not installed")


def tiny_model(kind: str):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    shape = dict(vocab_size=512, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=256)
    grouped = dict(shape, num_key_value_heads=2)
    model = {
        "qwen2": lambda: tf.Qwen2ForCausalLM(tf.Qwen2Config(**grouped, tie_word_embeddings=True)),
        "mistral": lambda: tf.MistralForCausalLM(tf.MistralConfig(**grouped, tie_word_embeddings=False)),
        "gemma": lambda: tf.GemmaForCausalLM(tf.GemmaConfig(**grouped, head_dim=8)),
        "gemma2": lambda: tf.Gemma2ForCausalLM(tf.Gemma2Config(**grouped, head_dim=8, query_pre_attn_scalar=8,
                                                               sliding_window=128)),
        "phi3": lambda: tf.Phi3ForCausalLM(tf.Phi3Config(**grouped, original_max_position_embeddings=256,
                                                         sliding_window=None, pad_token_id=0)),
        "qwen3": lambda: tf.Qwen3ForCausalLM(tf.Qwen3Config(**grouped, head_dim=8, tie_word_embeddings=True)),
        "bloom": lambda: tf.BloomForCausalLM(tf.BloomConfig(vocab_size=512, hidden_size=32, n_layer=2, n_head=4)),
        "gpt_neox": lambda: tf.GPTNeoXForCausalLM(tf.GPTNeoXConfig(**shape, rotary_pct=0.5, tie_word_embeddings=False)),
    }[kind]()
    for name, parameter in model.named_parameters():  # random norms and biases, so a lost offset or bias shows
        if parameter.dim() == 1:
            torch.nn.init.normal_(parameter, mean=0.0 if "bias" in name else 0.5, std=0.2 if "bias" not in name else 0.5)
    return model.eval()


@pytest.mark.parametrize("kind, arch", [("qwen2", "qwen2"), ("mistral", "llama"),
                                        *[pytest.param(kind, arch, marks=NEEDS_LLAMA_CPP) for kind, arch in
                                          [("gemma", "gemma"), ("gemma2", "gemma2"), ("phi3", "phi3"), ("qwen3", "qwen3"), ("bloom", "bloom"),
                                           ("gpt_neox", "gptneox")]]])
def test_architecture_round_trip(kind, arch, tmp_path):
    from transformers import AutoTokenizer

    from botsmith.chat_format import chatml
    from botsmith.export.gguf.verify import verify_gguf
    from botsmith.export.gguf.writer import write_gguf

    tokenizer = AutoTokenizer.from_pretrained(str(TINY_TOKENIZER))
    model = tiny_model(kind)
    path = tmp_path / f"{kind}.gguf"
    written = write_gguf(model, tokenizer, path, quant="q8_0", chat_template=chatml().jinja, end_of_turn="<|im_end|>")
    assert written.architecture == arch
    verification = verify_gguf(path, model, tokenizer, written)
    assert verification.ok, verification.lines()
    names = [check.name for check in verification.checks]
    assert "layout" in names or {"llama.cpp tokens", "llama.cpp predictions"} <= set(names)
    if kind == "qwen2":
        from gguf import GGUFReader

        assert "blk.0.attn_q.bias" in {tensor.name for tensor in GGUFReader(path).tensors}
