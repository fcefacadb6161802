"""Loading models for training and inference: a base, or a trained checkpoint.

A checkpoint folder (written by botsmith.train) holds `botsmith_checkpoint.json`:

    {"kind": "lora" | "full", "base_model": "<spec as configured>", "step": 120,
     "val_loss": 2.31, "method": "lora"}

plus, for "lora", a PEFT adapter (adapter_config.json, adapter_model.safetensors) and
for "full" a complete model folder; both carry the tokenizer (with its chat template).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botsmith.chat_format import ChatFormat, install_chat_format
from botsmith.errors import BotsmithError
from botsmith.models.resolve import resolve_model

CHECKPOINT_INFO = "botsmith_checkpoint.json"


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    chat_format: ChatFormat
    source: Path  # the folder the weights came from (checkpoint or base)
    base_model: str  # the base spec as the user named it


def pick_dtype(dtype: str | None = None, device: str = "cpu"):
    """The compute dtype: bf16 where the hardware runs it fast, else fp32."""
    import torch

    if dtype and dtype != "auto":
        return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}[dtype]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "cpu" and cpu_has_fast_bf16():
        return torch.bfloat16
    return torch.float32


def cpu_has_fast_bf16() -> bool:
    """AMX or AVX512-BF16 make bf16 matmuls faster than fp32 on this CPU."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def quiet_transformers() -> None:
    """Loading takes a second from the cache: transformers' progress bars and deprecation chatter are noise."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base(spec: str, *, dtype: Any = None, device: str = "cpu", quantization_config: Any = None,
              chat_template: str = "", log=print) -> LoadedModel:
    """The base model named by `spec` (alias, folder, .gguf or Hub id), ready to use, with the chat format
    `chat_template` chooses (see botsmith.chat_format.template_setting; "" for its own).

    With a `quantization_config` (QLoRA) the weights are placed on `device` while loading,
    since a quantized model cannot be moved afterwards.
    """
    from transformers import AutoModelForCausalLM

    path = resolve_model(spec, log=log)
    tokenizer = load_tokenizer(path)
    placement = {"quantization_config": quantization_config, "device_map": {"": device}} if quantization_config else {}
    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype or pick_dtype(None, device), **placement)
    except (OSError, ValueError) as error:
        raise BotsmithError(f"{path}: cannot load the model ({str(error).splitlines()[0][:200]})") from None
    chat_format = install_chat_format(tokenizer, model, chat_template)
    return LoadedModel(model if placement else model.to(device), tokenizer, chat_format, path, spec)


def read_checkpoint_info(path: Path) -> dict:
    info_file = Path(path) / CHECKPOINT_INFO
    if not info_file.is_file():
        raise BotsmithError(f"{path}: not a botsmith checkpoint (no {CHECKPOINT_INFO})")
    try:
        return json.loads(info_file.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise BotsmithError(f"{info_file}: unreadable ({error})", hint="the checkpoint is damaged; use another one") from None


def load_checkpoint(path: str | Path, *, dtype: Any = None, device: str = "cpu", merge: bool = False,
                    log=print) -> LoadedModel:
    """A trained checkpoint: a LoRA adapter on its base (optionally merged) or full weights."""
    from transformers import AutoModelForCausalLM

    path = Path(path)
    info = read_checkpoint_info(path)
    dtype = dtype or pick_dtype(None, device)
    tokenizer = load_tokenizer(path)
    if info["kind"] == "full":
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype)
    else:
        from peft import PeftModel

        base_path = resolve_model(info["base_model"], log=log)
        model = AutoModelForCausalLM.from_pretrained(str(base_path), dtype=dtype)
        if model.get_input_embeddings().weight.shape[0] != len(tokenizer):
            model.resize_token_embeddings(len(tokenizer))
        model = PeftModel.from_pretrained(model, str(path))
        if merge:
            model = model.merge_and_unload()
    model.eval()
    return LoadedModel(model.to(device), tokenizer, install_chat_format(tokenizer), path, info["base_model"])
