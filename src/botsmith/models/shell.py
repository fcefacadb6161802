"""A model without its weights, for a runtime that computes with its own copy (llama.cpp on a GGUF export).

`load_shell` gives what `load_base` and `load_checkpoint` give (tokenizer, chat format, config,
generation settings, the vocabulary the checkpoint was trained with) but builds the model on
PyTorch's meta device: its parameters have shapes and no memory. For the default model that
keeps ~270 MB of bf16 weights out of `botsmith serve` while llama.cpp runs the GGUF; for a
7B model, ~14 GB. Nothing may run the shell's forward pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.chat_format import install_chat_format
from botsmith.models.load import CHECKPOINT_INFO, LoadedModel, load_tokenizer, read_checkpoint_info
from botsmith.models.resolve import resolve_model


def load_shell(spec_or_path: str | Path, *, dtype: Any = None, chat_template: str = "", log=print) -> LoadedModel:
    """A checkpoint folder (with the chat format it was trained with) or a base model (with the one
    `chat_template` chooses), as in `load_checkpoint` / `load_base`, its model on the meta device."""
    path = Path(str(spec_or_path))
    if (path / CHECKPOINT_INFO).is_file():
        info = read_checkpoint_info(path)
        config_dir = path if info["kind"] == "full" else resolve_model(info["base_model"], log=log)
        tokenizer = load_tokenizer(path)
        model = _meta_model(config_dir, dtype, len(tokenizer))
        return LoadedModel(model, tokenizer, install_chat_format(tokenizer), path, info["base_model"])
    folder = resolve_model(str(spec_or_path), log=log)
    tokenizer = load_tokenizer(folder)
    model = _meta_model(folder, dtype, None)
    chat_format = install_chat_format(tokenizer, model, chat_template)
    return LoadedModel(model, tokenizer, chat_format, folder, str(spec_or_path))


def _meta_model(folder: Path, dtype: Any, vocabulary: int | None) -> Any:
    """The model class built from `folder`'s config on the meta device, with its generation config;
    embeddings grown to `vocabulary` where a checkpoint's tokenizer added tokens (as load_checkpoint does)."""
    from transformers import AutoConfig, GenerationConfig

    model = build_on_meta(AutoConfig.from_pretrained(str(folder)), dtype)
    try:
        model.generation_config = GenerationConfig.from_pretrained(str(folder))
    except OSError:  # no generation_config.json: the one from_config derived stays
        pass
    if vocabulary is not None and model.get_input_embeddings().weight.shape[0] != vocabulary:
        model.resize_token_embeddings(vocabulary)
    return model.eval()


def build_on_meta(config: Any, dtype: Any = None) -> Any:
    """The causal LM `config` describes, built on PyTorch's meta device (shapes, no memory).

    The model class is imported before the meta device is entered: its first import pulls in
    torch._dynamo, which torch 2.6 cannot import with meta as the default device (GPT-2 among
    others), and the half-imported module then breaks everything after it, training included."""
    import contextlib

    import torch
    from transformers import AutoModelForCausalLM

    with contextlib.suppress(KeyError):  # a config the mapping lacks: from_config says so below
        AutoModelForCausalLM._model_mapping[type(config)]
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config, dtype=dtype)
