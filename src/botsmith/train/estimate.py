"""How long a training run will take and how much memory it needs, on this machine, before it starts.

Time: training costs about 6 x parameters floating-point operations per token for a full
fine-tune (forward, and backward for both activations and weights) and 4 x for LoRA and
QLoRA (no weight gradients for the frozen base), plus attention; the output layer's part of
those (vocabulary x width) only at the tokens training has targets for, since the loss runs it
nowhere else (a dialogue trains its character's turns only). This machine's speed is a
short matmul probe in the compute dtype; the share of it training reaches was measured with
`bench/train_sizes.py` (see docs/train.md), so the estimate scales to a faster or slower CPU.
On a GPU the share is an assumption (35%), not a measurement.

Memory: the weights in their dtype, 16 bytes per trained parameter (fp32 master copy,
gradient, Adam's two moments), activations per token, layer and width unit as measured by
the same benchmark (twice that for models with dropout, which keep its masks: GPT-2), the
logits' share, and the runtime itself. Compared with what the machine has free now.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Measured with bench/train_sizes.py (docs/bases.md), per compute dtype (its bytes an element), on two 2-core
# machines: the share of the matmul probe's speed a training step reached, and the activation memory per token,
# layer and width unit (GPT-2, which has dropout, twice that; and per token and vocabulary entry, LOGIT_BYTES).
# - bf16 on an AMX CPU: LoRA 0.50-0.55 on three Llama-style sizes, full 0.35; activations 61-91 bytes.
# - fp32 on an AVX2 CPU without bf16 (AMD EPYC): LoRA 0.49-0.93 on four sizes (median 0.67), full 0.68; activations
#   82-124 bytes (median 104). The bf16 share there had made the default Elizabeth run's estimate 2x too long.
TRAINING_SHARE = {2: {"lora": 0.53, "qlora": 0.53, "full": 0.35}, 4: {"lora": 0.67, "qlora": 0.67, "full": 0.68}}
GPU_SHARE = 0.35  # not measured here (no GPU): a typical share for small models
ACTIVATION_BYTES = {2: 72, 4: 104}
DROPOUT_FACTOR = 2
LOGIT_BYTES = 2
RUNTIME_BYTES = 700 * 2**20  # Python, torch and the tokenizer
BYTES_PER_TRAINED_PARAMETER = 16
LONG_RUN_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ModelShape:
    """What the estimate needs to know of a base model (read from its config, without its weights)."""

    params: int
    layers: int
    hidden: int
    vocab: int
    lora_per_rank: int  # trainable LoRA parameters per unit of rank (sum of in + out of the block linears)
    dropout: bool = False  # the model applies dropout while training (its masks are kept for the backward pass)


@dataclass
class Estimate:
    method: str
    device: str
    shape: ModelShape
    trained_params: int
    tokens: int  # tokens the run processes (all epochs)
    seconds: float
    memory_bytes: int
    free_bytes: int | None
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        free = f", {self.free_bytes / 2**30:.1f} GB free" if self.free_bytes is not None else ""
        return [f"estimate: ~{duration_text(self.seconds)} for {self.tokens:,} tokens on {self.device}; "
                f"~{self.memory_bytes / 2**30:.1f} GB of memory{free} ({self.method}, "
                f"{self.shape.params / 1e6:,.0f}M parameters, {self.trained_params:,} trained)",
                *[f"warning: {warning}" for warning in self.warnings]]


def shape_of(model_dir: str | Path) -> ModelShape:
    """The model's size from its config.json: the model is built on the meta device (no memory, no weights)."""
    from transformers import AutoConfig

    from botsmith.models.shell import build_on_meta
    from botsmith.train.prepare import find_target_modules

    config = AutoConfig.from_pretrained(str(model_dir))
    model = build_on_meta(config)

    targets = set(find_target_modules(model))
    lora = sum(sum(_in_out(module)) for name, module in model.named_modules()
               if name.rsplit(".", 1)[-1] in targets and any(part.isdigit() for part in name.split(".")))
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    dropout = any(isinstance(value, float) and value > 0 and (key.endswith("pdrop") or key.endswith("dropout"))
                  for key, value in text.to_dict().items())
    return ModelShape(params=sum(p.numel() for p in model.parameters()),
                      layers=getattr(text, "num_hidden_layers", None) or text.n_layer,
                      hidden=getattr(text, "hidden_size", None) or text.n_embd,
                      vocab=text.vocab_size, lora_per_rank=lora, dropout=dropout)


def _in_out(module: Any) -> tuple[int, int]:
    weight = module.weight
    return (weight.shape[1], weight.shape[0]) if type(module).__name__ != "Conv1D" else tuple(weight.shape)


def estimate_run(shape: ModelShape, *, method: str, tokens: int, batch_size: int, max_length: int, lora_r: int,
                 gradient_checkpointing: bool = False, device: str = "cpu", dtype_bytes: int = 2,
                 flops_per_second: float | None = None, free_bytes: int | None = None,
                 trained_share: float = 1.0) -> Estimate:
    """The estimate for a run over `tokens` tokens, `trained_share` of them with a target (the output layer runs at
    those only: train/loss.py); machine speed and free memory are probed unless given."""
    trained = shape.params if method == "full" else shape.lora_per_rank * lora_r
    head = shape.vocab * shape.hidden
    per_token = ((6 if method == "full" else 4) * (shape.params - head + head * trained_share)
                 + 6 * shape.layers * shape.hidden * max_length)
    speed = flops_per_second or machine_flops(device, dtype_bytes) * training_share(method, device, dtype_bytes)
    weight_bytes = shape.params * (0.56 if method == "qlora" else dtype_bytes)
    active_layers = 2 if gradient_checkpointing else shape.layers
    per_unit = activation_bytes(dtype_bytes) * (DROPOUT_FACTOR if shape.dropout else 1)
    activations = batch_size * max_length * (per_unit * shape.hidden * active_layers + LOGIT_BYTES * shape.vocab)
    memory = int(weight_bytes + trained * BYTES_PER_TRAINED_PARAMETER + activations + RUNTIME_BYTES)
    free = free_bytes if free_bytes is not None else free_memory(device)
    result = Estimate(method, device, shape, trained, tokens, tokens * per_token / speed, memory, free)
    result.warnings = _warnings(result, method, gradient_checkpointing)
    return result


def training_share(method: str, device: str, dtype_bytes: int = 2) -> float:
    """The share of the matmul probe's speed a training step reaches (TRAINING_SHARE; GPU_SHARE on CUDA)."""
    if device.startswith("cuda"):
        return GPU_SHARE
    shares = TRAINING_SHARE.get(dtype_bytes, TRAINING_SHARE[2])
    return shares.get(method, shares["lora"])


def activation_bytes(dtype_bytes: int) -> int:
    """Activation bytes per token, layer and width unit in this compute dtype (a dtype not measured: bf16's, scaled)."""
    return ACTIVATION_BYTES.get(dtype_bytes, ACTIVATION_BYTES[2] * dtype_bytes // 2)


def _warnings(estimate: Estimate, method: str, checkpointing: bool) -> list[str]:
    found = []
    if estimate.free_bytes is not None and estimate.memory_bytes > estimate.free_bytes:
        options = ["method = 'lora'" if method == "full" else None, "a smaller batch_size or max_length",
                   None if checkpointing else "gradient_checkpointing = true", "a smaller base (botsmith models recommended)"]
        found.append(f"this will not fit: it needs ~{estimate.memory_bytes / 2**30:.1f} GB and "
                     f"{estimate.free_bytes / 2**30:.1f} GB are free; try {', '.join(o for o in options if o)}")
    if estimate.seconds > LONG_RUN_SECONDS:
        found.append(f"this run will take ~{duration_text(estimate.seconds)} here (too many novels for this machine?): "
                     "fewer sources, --max-steps, a smaller base (botsmith models recommended) or a GPU")
    return found


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def machine_flops(device: str = "cpu", dtype_bytes: int = 2, seconds: float = 0.15) -> float:
    """Matmul floating-point operations per second here, in the compute dtype (a short probe)."""
    import torch

    dtype = torch.bfloat16 if dtype_bytes == 2 else torch.float32
    size = 512 if device == "cpu" else 4096
    a = torch.randn(size, size, dtype=dtype, device=device)
    b = torch.randn(size, size, dtype=dtype, device=device)
    torch.matmul(a, b)  # warm-up: the first call picks kernels
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        torch.matmul(a, b)
        runs += 1
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return 2 * size**3 * runs / (time.perf_counter() - started)


def free_memory(device: str = "cpu") -> int | None:
    """Bytes free for training: GPU memory on CUDA, else the system's available memory (Linux)."""
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.mem_get_info()[0])
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def run_tokens(dataset_tokens: int, examples: int, *, epochs: float, max_steps: int, batch_size: int, grad_accum: int,
               max_length: int, packing: bool, min_steps: int = 0) -> int:
    """Tokens a run processes: its steps' sequences, or the dataset's tokens once per epoch (at least min_steps)."""
    rows = math.ceil(dataset_tokens / max_length) if packing else examples
    per_step = batch_size * grad_accum
    steps = max_steps or max(min_steps, math.ceil(epochs * max(rows, 1) / per_step))
    tokens_per_row = max_length if packing else max(1, dataset_tokens // max(examples, 1))
    return steps * per_step * min(tokens_per_row, max_length)


def dataset_records(train_file: Path) -> list[dict]:
    """A dataset file's records, read once for `dataset_tokens` and `trained_share`; not validated as `read_records`
    does: the estimate only counts characters, and training checks each record when it reads the file."""
    from botsmith.records import read_jsonl

    return [record for _, record in read_jsonl(train_file) if isinstance(record, dict)]


def dataset_tokens(records: list[dict], tokenizer: Any, sample_chars: int = 200_000) -> tuple[int, int]:
    """(tokens, examples) of a dataset: its characters over the characters per token the base's tokenizer gives on
    a sample of them (tokenizing a whole library of novels would take longer than the estimate is worth)."""
    texts = [_record_text(record) for record in records]
    chars = sum(len(text) for text in texts)
    sample, size = [], 0
    for text in texts:
        if size >= sample_chars:
            break
        sample.append(text)
        size += len(text)
    sample_tokens = sum(len(ids) for ids in tokenizer(sample, add_special_tokens=False)["input_ids"]) if sample else 0
    per_token = size / sample_tokens if sample_tokens else 4.0
    turns = sum(len(record.get("messages") or []) for record in records)
    return int(chars / per_token) + 4 * turns, len(texts)  # ~4 tokens of turn markers per message


def trained_share(records: list[dict]) -> float:
    """The share of a dataset's characters that training has targets for: a chat's assistant turns (a book's
    character, a chat's bot), a pair's completion, all of a text."""
    trained = total = 0
    for record in records:
        text = _record_text(record)
        total += len(text)
        if "messages" in record:
            trained += sum(len(str(message.get("content", ""))) for message in record["messages"]
                           if isinstance(message, dict) and message.get("role") == "assistant")
        else:
            trained += len(str(record.get("completion", ""))) if "completion" in record else len(text)
    return trained / total if total else 1.0


def _record_text(record: dict) -> str:
    if "messages" in record:
        return "\n".join(str(message.get("content", "")) for message in record["messages"] if isinstance(message, dict))
    return str(record.get("text", "")) + str(record.get("prompt", "")) + str(record.get("completion", ""))


def estimate_for_bot(folder: Any, config: Any, *, log: Any = print) -> Estimate | None:
    """The estimate for training `folder`'s bot with `config`; None before its dataset is built."""
    from botsmith.dataset.tokens import load_tokenizer
    from botsmith.models import resolve_model
    from botsmith.train.loop import min_steps_for
    from botsmith.train.setup import device_kind, pick_precision

    train = config.train
    train_file = folder.dataset_dir / "train.jsonl"
    if not train_file.is_file():
        return None
    path = resolve_model(config.bot.base_model, log=log)
    records = dataset_records(train_file)
    tokens, examples = dataset_tokens(records, load_tokenizer(str(path), log=log))
    device = device_kind(train.device)
    dtype_bytes = pick_precision(train.precision, device).itemsize  # the dtype training will compute in
    total = run_tokens(tokens, examples, epochs=train.epochs, max_steps=train.max_steps, batch_size=train.batch_size,
                       grad_accum=train.grad_accum, max_length=train.max_length, packing=train.packing,
                       min_steps=min_steps_for(config))
    return estimate_run(shape_of(path), method=train.method, tokens=total, batch_size=train.batch_size,
                        max_length=train.max_length, lora_r=train.lora_r, device=device, dtype_bytes=dtype_bytes,
                        gradient_checkpointing=train.gradient_checkpointing, trained_share=trained_share(records))
