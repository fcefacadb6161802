"""More architectures llama.cpp runs: Gemma, Gemma 2, Phi-3, Qwen3, BLOOM and GPT-NeoX (Pythia).

As for the others, llama.cpp's `convert_hf_to_gguf.py` is the reference (GemmaModel,
Gemma2Model, Phi3MiniModel, Qwen3Model, BloomModel, GPTNeoXModel): the metadata keys it writes, and
what it does to tensors. All of these rotate halves (NEOX-style rope) as transformers does,
so no Q/K permutation; Gemma's norms gain 1; BLOOM's and GPT-NeoX's fused QKV rows are
regrouped from per-head [q, k, v] to all q, all k, all v.
"""

from __future__ import annotations

from typing import Any

from botsmith.errors import BotsmithError
from botsmith.export.gguf.architectures import (GgufArchitecture, TensorItems, _add_decoder_metadata, _add_rope,
                                                _head_dim, _rotary_buffer, register_architecture)


def _tied_layout(name: str, tensor: Any, config: Any) -> TensorItems:
    if name == "lm_head.weight" and config.tie_word_embeddings:
        return  # llama.cpp reuses token_embd when output.weight is absent
    yield name, tensor


def _head_lengths(writer: Any, config: Any) -> None:
    writer.add_key_length(_head_dim(config))
    writer.add_value_length(_head_dim(config))


# ---- Qwen3: Qwen2 without q/k/v biases, with RMSNorm on each head's q and k --------------------------

def _qwen3_metadata(writer: Any, config: Any) -> None:
    _add_decoder_metadata(writer, config)
    _head_lengths(writer, config)


register_architecture(GgufArchitecture("qwen3", ("qwen3",), _qwen3_metadata, _tied_layout, _rotary_buffer))


# ---- Gemma: Llama-like, embeddings scaled by sqrt(width) inside llama.cpp, norms scale by 1 + weight -----

def _gemma_metadata(writer: Any, config: Any) -> None:
    _add_decoder_metadata(writer, config)
    _head_lengths(writer, config)


def _gemma_norm(name: str) -> float:
    return 1.0 if name.endswith("norm.weight") else 0.0


def _gemma_layout(name: str, tensor: Any, config: Any) -> TensorItems:
    if name == "lm_head.weight":
        return  # Gemma always ties its output to the embeddings
    yield name, tensor


register_architecture(GgufArchitecture("gemma", ("gemma",), _gemma_metadata, _gemma_layout, _rotary_buffer,
                                       value_offset=_gemma_norm))


def _gemma2_metadata(writer: Any, config: Any) -> None:
    """Gemma 2 adds norms after attention and the MLP (tensors only), logit soft-capping and sliding windows."""
    if getattr(config, "query_pre_attn_scalar", _head_dim(config)) != _head_dim(config):
        raise BotsmithError("the GGUF writer supports Gemma 2 models whose attention scale is 1/sqrt(head_dim) "
                            "(2B, 9B), not this one", hint="export with --format hf")
    _gemma_metadata(writer, config)
    writer.add_attn_logit_softcapping(float(config.attn_logit_softcapping or 0.0))
    writer.add_final_logit_softcapping(float(config.final_logit_softcapping or 0.0))
    if getattr(config, "sliding_window", None):
        writer.add_sliding_window(config.sliding_window)


register_architecture(GgufArchitecture("gemma2", ("gemma2",), _gemma2_metadata, _gemma_layout, _rotary_buffer,
                                       value_offset=_gemma_norm))


# ---- Phi-3: fused qkv_proj and gate_up_proj, which llama.cpp reads fused too ---------------------------

def _phi3_metadata(writer: Any, config: Any) -> None:
    scaling = getattr(config, "rope_scaling", None) or {}
    if scaling.get("type", scaling.get("rope_type", "default")) not in ("default", None):
        raise BotsmithError("the GGUF writer does not support Phi-3's long-context rope scaling yet",
                            hint="export with --format hf and convert with llama.cpp's convert_hf_to_gguf.py")
    _add_decoder_metadata(writer, config)
    writer.add_rope_dimension_count(int(_head_dim(config) * getattr(config, "partial_rotary_factor", 1.0)))
    if getattr(config, "sliding_window", None):
        writer.add_sliding_window(config.sliding_window)


register_architecture(GgufArchitecture("phi3", ("phi3",), _phi3_metadata, _tied_layout, _rotary_buffer))


# ---- BLOOM and GPT-NeoX: fused query_key_value with per-head [q, k, v] rows -------------------------

def _grouped_qkv(tensor: Any, n_head: int) -> Any:
    """Rows [h0 q, h0 k, h0 v, h1 q, ...] -> [all q, all k, all v] (llama.cpp splits the fused matrix in thirds)."""
    head_dim = tensor.shape[0] // n_head // 3
    return tensor.reshape(n_head, 3, head_dim, *tensor.shape[1:]).transpose(0, 1).reshape(tensor.shape)


def _qkv_rows(name: str, tensor: Any, config: Any) -> Any:
    if "query_key_value" in name:
        return _grouped_qkv(tensor, config.num_attention_heads)
    return tensor


def _bloom_metadata(writer: Any, config: Any) -> None:
    writer.add_context_length(getattr(config, "seq_length", None) or config.hidden_size)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(4 * config.hidden_size)
    writer.add_block_count(config.n_layer)
    writer.add_head_count(config.n_head)
    writer.add_head_count_kv(config.n_head)
    writer.add_layer_norm_eps(float(config.layer_norm_epsilon))
    writer.add_vocab_size(config.vocab_size)


def _bloom_layout(name: str, tensor: Any, config: Any) -> TensorItems:
    if name == "lm_head.weight":
        return  # written from the embedding, as llama.cpp's converter does
    # llama.cpp's converter drops the "transformer." prefix before looking BLOOM's names up
    yield name.removeprefix("transformer."), _qkv_rows(name, tensor, config)
    if name == "transformer.word_embeddings.weight":
        yield "lm_head.weight", tensor


register_architecture(GgufArchitecture("bloom", ("bloom",), _bloom_metadata, _bloom_layout,
                                       reorder_rows=_qkv_rows))


def _neox_metadata(writer: Any, config: Any) -> None:
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    rotary = getattr(config, "rotary_pct", None) or (getattr(config, "rope_parameters", None) or {}).get(
        "partial_rotary_factor", getattr(config, "partial_rotary_factor", 1.0))
    writer.add_rope_dimension_count(int(rotary * _head_dim(config)))
    writer.add_head_count(config.num_attention_heads)
    writer.add_parallel_residual(bool(getattr(config, "use_parallel_residual", True)))
    writer.add_layer_norm_eps(float(config.layer_norm_eps))
    writer.add_vocab_size(config.vocab_size)
    _add_rope(writer, config)


def _neox_layout(name: str, tensor: Any, config: Any) -> TensorItems:
    if name == "embed_out.weight" and config.tie_word_embeddings:
        return
    yield name, _qkv_rows(name, tensor, config)


def _neox_buffer(name: str) -> bool:
    return name.endswith((".attention.bias", ".attention.masked_bias")) or "rotary_emb" in name


register_architecture(GgufArchitecture("gptneox", ("gpt_neox",), _neox_metadata, _neox_layout, _neox_buffer,
                                       reorder_rows=_qkv_rows))
