"""Qwen2 and Mistral through the writer and the verifier, from tiny random models built here."""

from __future__ import annotations

import pytest

from tests.conftest import TINY_TOKENIZER


def tiny_model(kind: str):
    import torch
    from transformers import MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    shape = dict(vocab_size=512, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=256)
    if kind == "qwen2":
        model = Qwen2ForCausalLM(Qwen2Config(**shape, tie_word_embeddings=True))
        for layer in model.model.layers:  # Qwen2's q/k/v biases must survive the trip
            for projection in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                torch.nn.init.normal_(projection.bias, std=0.5)
        return model.eval()
    return MistralForCausalLM(MistralConfig(**shape, tie_word_embeddings=False)).eval()


@pytest.mark.parametrize("kind, arch", [("qwen2", "qwen2"), ("mistral", "llama")])
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
    if kind == "qwen2":
        from gguf import GGUFReader

        assert "blk.0.attn_q.bias" in {tensor.name for tensor in GGUFReader(path).tensors}
