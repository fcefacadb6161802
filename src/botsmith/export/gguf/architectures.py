"""The architectures the GGUF writer supports, registered by Hugging Face `model_type`.

Each entry says which llama.cpp architecture a model becomes, which metadata keys
llama.cpp reads for it, and how its tensors are laid out: llama.cpp's own convert
script is the reference (`convert_hf_to_gguf.py`, classes LlamaModel, Qwen2Model,
GPT2Model; families.py adds Gemma, Phi-3, Qwen3, BLOOM and GPT-NeoX). A new architecture
registers the same way the built-in ones do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botsmith.errors import BotsmithError

TensorItems = Iterator[tuple[str, Any]]  # (Hugging Face tensor name, torch tensor) in llama.cpp's layout


@dataclass(frozen=True)
class GgufArchitecture:
    gguf_name: str  # general.architecture
    model_types: tuple[str, ...]  # Hugging Face config.model_type values written as this architecture
    add_metadata: Callable[[Any, Any], None]  # (writer, hf config)
    layout: Callable[[str, Any, Any], TensorItems]  # (hf name, tensor, hf config) -> what llama.cpp stores
    skip: Callable[[str], bool] = lambda name: False  # buffers llama.cpp does not want
    # Row reordering of a weight's output dimension (applied to LoRA B matrices too).
    reorder_rows: Callable[[str, Any, Any], Any] = lambda name, tensor, config: tensor
    # Added to a tensor's values (after the layout): Gemma's RMSNorm scales by 1 + weight, llama.cpp's by weight.
    value_offset: Callable[[str], float] = lambda name: 0.0


_ARCHITECTURES: dict[str, GgufArchitecture] = {}


def register_architecture(arch: GgufArchitecture) -> None:
    for model_type in arch.model_types:
        _ARCHITECTURES[model_type] = arch


def supported_model_types() -> list[str]:
    return sorted(_ARCHITECTURES)


def architecture_for(config: Any) -> GgufArchitecture:
    """The GGUF architecture for a Hugging Face config, or an error listing the supported ones."""
    model_type = getattr(config, "model_type", None)
    arch = _ARCHITECTURES.get(model_type)
    if arch is None:
        raise BotsmithError(
            f"the GGUF writer does not support the '{model_type}' architecture",
            hint=f"supported: {', '.join(supported_model_types())}; export with --format hf (and convert that folder "
                 "with llama.cpp's convert_hf_to_gguf.py if llama.cpp runs it)",
        )
    return arch


# ---- Llama family: Llama, SmolLM, Mistral (llama.cpp writes Mistral as "llama"), Qwen2 -------------

def llama_permute(weights: Any, n_head: int) -> Any:
    """llama.cpp's Q/K row order: it rotates interleaved pairs where transformers rotates halves."""
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _head_dim(config: Any) -> int:
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def _rope_parameters(config: Any) -> dict:
    params = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    theta = params.get("rope_theta", getattr(config, "rope_theta", 10000.0))
    return {**params, "rope_theta": theta}


def _add_rope(writer: Any, config: Any) -> None:
    import gguf

    rope = _rope_parameters(config)
    writer.add_rope_freq_base(float(rope["rope_theta"]))
    kind = rope.get("rope_type", rope.get("type", "default"))
    if kind == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))
    elif kind not in ("default", None):
        raise BotsmithError(f"the GGUF writer does not support rope scaling '{kind}' yet",
                            hint="export with --format hf and convert with llama.cpp's convert_hf_to_gguf.py")


def _add_decoder_metadata(writer: Any, config: Any) -> None:
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads or config.num_attention_heads)
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_vocab_size(config.vocab_size)
    _add_rope(writer, config)


def _llama_metadata(writer: Any, config: Any) -> None:
    _add_decoder_metadata(writer, config)
    writer.add_rope_dimension_count(_head_dim(config))


def _llama_rows(name: str, tensor: Any, config: Any) -> Any:
    if name.endswith("q_proj.weight"):
        return llama_permute(tensor, config.num_attention_heads)
    if name.endswith("k_proj.weight"):
        return llama_permute(tensor, config.num_key_value_heads or config.num_attention_heads)
    return tensor


def _llama_layout(name: str, tensor: Any, config: Any) -> TensorItems:
    if name == "lm_head.weight" and config.tie_word_embeddings:
        return  # llama.cpp reuses token_embd when output.weight is absent
    yield name, _llama_rows(name, tensor, config)


def _qwen2_layout(name: str, tensor: Any, config: Any) -> TensorItems:
    # Qwen2 uses NEOX-style rope in llama.cpp, the same halves transformers uses: no permutation.
    if name == "lm_head.weight" and config.tie_word_embeddings:
        return
    yield name, tensor


def _rotary_buffer(name: str) -> bool:
    return "rotary_emb" in name


register_architecture(GgufArchitecture("llama", ("llama", "mistral"), _llama_metadata, _llama_layout, _rotary_buffer,
                                       _llama_rows))
register_architecture(GgufArchitecture("qwen2", ("qwen2",), _add_decoder_metadata, _qwen2_layout, _rotary_buffer))


# ---- GPT-2 -------------------------------------------------------------------------------------------

_GPT2_CONV1D = (".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight")


def _gpt2_metadata(writer: Any, config: Any) -> None:
    writer.add_context_length(config.n_positions)
    writer.add_embedding_length(config.n_embd)
    writer.add_feed_forward_length(config.n_inner or 4 * config.n_embd)
    writer.add_block_count(config.n_layer)
    writer.add_head_count(config.n_head)
    writer.add_layer_norm_eps(float(config.layer_norm_epsilon))
    writer.add_vocab_size(config.vocab_size)


def _gpt2_layout(name: str, tensor: Any, config: Any) -> TensorItems:
    # Conv1D keeps weights as [in, out]; llama.cpp wants torch Linear's [out, in].
    if name.endswith(_GPT2_CONV1D):
        tensor = tensor.T
    if name == "lm_head.weight":
        return  # written below, from the embedding, as llama.cpp's converter does
    yield name, tensor
    if name == "transformer.wte.weight":
        yield "lm_head.weight", tensor  # llama.cpp's gpt2 graph always reads output.weight


def _gpt2_buffer(name: str) -> bool:
    return name.endswith((".attn.bias", ".attn.masked_bias"))


register_architecture(GgufArchitecture("gpt2", ("gpt2",), _gpt2_metadata, _gpt2_layout, _gpt2_buffer))


# The other families register themselves on import; imported last, as they use the helpers above.
from botsmith.export.gguf import families  # noqa: E402,F401
