"""How each method prepares the model: the only place full, LoRA and QLoRA differ.

- full: every weight trains.
- lora: the base is frozen (kept in the compute dtype, converted once, so no autocast
  copies); LoRA adapters go on every linear layer of the transformer blocks, found by
  module type (nn.Linear, and GPT-2's Conv1D), unless target_modules names them.
  When chat markers were added to the vocabulary (ChatML's for a base without a chat
  template, or those of the [bot] chat_template style), their embedding rows are new
  and are trained too (PEFT trainable tokens: only those rows).
- qlora: like lora, on a base quantized to 4-bit NF4 by bitsandbytes (CUDA only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botsmith.config.train import TrainSection
from botsmith.errors import BotsmithError, missing_dependency
from botsmith.train.cpu_kernels import KernelReport, install_cpu_kernels


@dataclass
class Prepared:
    model: Any
    tokenizer: Any
    chat_format: Any
    new_token_ids: list[int]
    kernels: KernelReport


def load_for_method(base_model: str, train: TrainSection, *, device: str, dtype: Any, chat_template: str = "",
                    log=print) -> Prepared:
    """Load the base for `train.method` (with the chat format `chat_template` chooses) and make the right
    weights trainable."""
    import torch

    if train.method == "qlora":
        loaded = _load_4bit(base_model, device, dtype, chat_template, log)
    else:
        from botsmith.models import load_base

        loaded = load_base(base_model, dtype=dtype, device=device, chat_template=chat_template, log=log)
    new_tokens = _new_token_ids(loaded)
    model = loaded.model
    model.config.use_cache = False
    if train.method == "full":
        for parameter in model.parameters():
            parameter.requires_grad_(True)
    else:
        model = _add_lora(model, train, new_tokens)
    if train.cpu_kernels and device == "cpu":  # measured on CPU; GPUs keep PEFT's and transformers' own kernels
        kernels = install_cpu_kernels(model, lora=train.method != "full")
    else:
        kernels = KernelReport(enabled=train.cpu_kernels)
    if train.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    torch.manual_seed(train.seed)
    return Prepared(model, loaded.tokenizer, loaded.chat_format, new_tokens, kernels)


def _new_token_ids(loaded: Any) -> list[int]:
    """Ids of the chat markers botsmith added to the base's vocabulary (a base without them): untrained rows."""
    import json

    config = json.loads((loaded.source / "config.json").read_text())
    original = config.get("vocab_size") or config.get("text_config", {}).get("vocab_size") or 0
    ids = [loaded.tokenizer.convert_tokens_to_ids(token) for token in loaded.chat_format.markers]
    return sorted({token_id for token_id in ids if isinstance(token_id, int) and token_id >= original})


def find_target_modules(model: Any) -> list[str]:
    """Names of the linear layers inside the transformer blocks, by module type."""
    import torch

    try:
        from transformers.pytorch_utils import Conv1D
    except ImportError:  # pragma: no cover
        Conv1D = ()
    head = model.get_output_embeddings()
    inside, outside = set(), set()
    for name, module in model.named_modules():
        if not isinstance(module, (torch.nn.Linear, Conv1D)) or module is head:
            continue
        in_block = any(part.isdigit() for part in name.split("."))
        (inside if in_block else outside).add(name.rsplit(".", 1)[-1])
    if not inside:
        raise BotsmithError(f"{type(model).__name__}: no linear layers found in its transformer blocks",
                            hint="name them in [train] target_modules")
    clash = inside & outside
    if clash:  # a leaf name also used outside the blocks: target by full path instead
        return [name for name, module in model.named_modules()
                if isinstance(module, (torch.nn.Linear, Conv1D)) and any(p.isdigit() for p in name.split("."))]
    return sorted(inside)


def _add_lora(model: Any, train: TrainSection, new_tokens: list[int]) -> Any:
    from peft import LoraConfig, get_peft_model
    from transformers.pytorch_utils import Conv1D

    targets = train.target_modules or find_target_modules(model)
    conv1d = any(isinstance(module, Conv1D) for module in model.modules())
    extra = {}
    if new_tokens:
        extra["trainable_token_indices"] = {_embedding_name(model): new_tokens}
    config = LoraConfig(r=train.lora_r, lora_alpha=train.lora_alpha, lora_dropout=train.lora_dropout,
                        target_modules=targets, fan_in_fan_out=conv1d, bias="none", task_type="CAUSAL_LM", **extra)
    try:
        # Adapters in the model's dtype: the optimizer keeps fp32 master copies (see optim.py).
        return get_peft_model(model, config, autocast_adapter_dtype=False)
    except ValueError as error:
        raise BotsmithError(f"[train] target_modules: {error}", hint="leave it empty to target every linear layer") from None


def _embedding_name(model: Any) -> str:
    embedding = model.get_input_embeddings()
    for name, module in model.named_modules():
        if module is embedding:
            return name.rsplit(".", 1)[-1]
    raise BotsmithError(f"{type(model).__name__}: cannot find its input embeddings")


def _load_4bit(base_model: str, device: str, dtype: Any, chat_template: str, log) -> Any:
    """The base quantized to NF4 with double quantization, prepared for k-bit training."""
    import torch

    if not device.startswith("cuda") or not torch.cuda.is_available():
        raise BotsmithError("qlora needs a CUDA GPU (bitsandbytes 4-bit) and none is available",
                            hint="use --method lora, which trains well on this machine")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise missing_dependency("bitsandbytes", extra="qlora") from None
    from peft import prepare_model_for_kbit_training
    from transformers import BitsAndBytesConfig

    from botsmith.models import load_base

    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=dtype)
    loaded = load_base(base_model, dtype=dtype, device=device, quantization_config=quant, chat_template=chat_template,
                       log=log)
    loaded.model = prepare_model_for_kbit_training(loaded.model, use_gradient_checkpointing=False)
    return loaded
