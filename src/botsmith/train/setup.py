"""Everything a run needs before its first step: device, model, data, optimizer, loss."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botsmith import system_prompt
from botsmith.chat_format import template_setting
from botsmith.config import BotConfig
from botsmith.errors import BotsmithError
from botsmith.train.data import Tokenizer, TokenizedSplit, tokenize_dataset
from botsmith.train.distributed import World
from botsmith.train.loop import Plan, min_steps_for
from botsmith.train.loss import LossComputer
from botsmith.train.optim import MasterOptimizer
from botsmith.train.packing import MicroBatch, fixed_batches, pack, single_rows
from botsmith.train.prepare import load_for_method
from botsmith.train.rundir import dataset_fingerprint
from botsmith.train.samples import default_prompts, generate_sample, prompt_text


@dataclass
class Setup:
    config: BotConfig
    world: World
    device: str
    model: Any
    tokenizer: Any
    chat_format: Any
    optimizer: MasterOptimizer
    loss: LossComputer
    plan: Plan
    val_batches: list[MicroBatch]
    pad_id: int
    fingerprint: dict[str, Any]
    prompts: list[str] = field(default_factory=list)
    report: list[str] = field(default_factory=list)

    def checkpoint_info(self, *, step: int, val_loss: float | None) -> dict[str, Any]:
        method = self.config.train.method
        return {"kind": "full" if method == "full" else "lora", "base_model": self.config.bot.base_model,
                "step": step, "val_loss": val_loss, "method": method,
                "system_prompt": self.chat_format.system_prompt}

    def samples(self) -> list[tuple[str, str]]:
        import torch

        mode, tokens = self.config.bot.mode, self.config.train.sample_tokens
        with torch.random.fork_rng(devices=[]):
            return [(prompt, generate_sample(self.model, self.tokenizer, self.chat_format,
                                             prompt_text(prompt, mode, self.chat_format), tokens,
                                             self.config.generate.repetition_penalty))
                    for prompt in self.prompts]


def device_kind(device: str) -> str:
    """"cuda" or "cpu": where `[train] device` will train, known before the process group exists."""
    import torch

    return "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"


def pick_device(device: str, world: World) -> str:
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise BotsmithError("[train] device = 'cuda' but no CUDA GPU is available", hint="use device = 'auto'")
        return f"cuda:{world.local_rank}"
    if device == "mps" and not torch.backends.mps.is_available():
        raise BotsmithError("[train] device = 'mps' but Apple MPS is not available", hint="use device = 'auto'")
    return device


def pick_precision(precision: str, device: str):
    import torch

    from botsmith.models.load import pick_dtype

    if precision == "auto":
        return pick_dtype(None, "cuda" if device.startswith("cuda") else device)
    if precision == "fp16" and device == "cpu":
        raise BotsmithError("[train] precision = 'fp16' is not supported on the CPU", hint="use bf16 or fp32")
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


def build_setup(folder: Any, config: BotConfig, world: World, log) -> Setup:
    import torch

    train = config.train
    device = pick_device(train.device, world)
    dtype = pick_precision(train.precision, device)
    fingerprint = dataset_fingerprint(folder.dataset_dir)
    if not (folder.dataset_dir / "train.jsonl").is_file():
        raise BotsmithError(f"{folder.dataset_dir / 'train.jsonl'}: no dataset yet", hint="run: botsmith build")
    torch.manual_seed(train.seed)
    system = system_prompt.for_training(folder.dataset_dir, config)
    prepared = load_for_method(config.bot.base_model, train, device=device, dtype=dtype, log=log,
                               chat_template=template_setting(config.bot.chat_template, folder.root))
    # The bot's format: its system prompt in front of every conversation, here and in the checkpoints' tokenizer.
    chat_format = prepared.chat_format.with_system(system)
    prepared.tokenizer.chat_template = chat_format.jinja
    tokenizer = Tokenizer(prepared.tokenizer, chat_format, max_length=train.max_length)
    train_split, val_split = tokenize_dataset(folder.dataset_dir, tokenizer, config.bot.mode)
    rows = pack(train_split.examples, train.max_length) if train.packing else single_rows(train_split.examples)
    val_rows = pack(val_split.examples, train.max_length) if train.packing else single_rows(val_split.examples)
    plan = Plan(rows, train.batch_size, train.grad_accum, world.size, train.seed, not train.packing,
                max_steps=train.max_steps, epochs=train.epochs, min_steps=min_steps_for(config))
    optimizer = MasterOptimizer(prepared.model, train, fp16=dtype == torch.float16)
    pad_id = prepared.tokenizer.pad_token_id if prepared.tokenizer.pad_token_id is not None else 0
    loss = LossComputer(prepared.model, fused=train.cpu_kernels, rejected_weight=train.rejected_weight)
    prepared.kernels.add_loss(loss)
    setup = Setup(config, world, device, prepared.model, prepared.tokenizer, chat_format, optimizer,
                  loss, plan, fixed_batches(val_rows, train.batch_size), pad_id, fingerprint)
    setup.prompts = train.sample_prompts or default_prompts(_prompt_source(folder), config.bot.mode)
    setup.report = _report(setup, train_split, val_split, dtype, rows) + prepared.kernels.lines()
    return setup


def _prompt_source(folder: Any) -> list[dict[str, Any]]:
    from botsmith.records import read_records

    for name in ("validation.jsonl", "train.jsonl"):
        if (folder.dataset_dir / name).is_file():
            return read_records(folder.dataset_dir / name)[:2]
    return []


def _passes(plan: Plan) -> str:
    """`; 3.0 epochs: [train] min_steps = 36` where the floor, not `epochs`, set the run's length."""
    if plan.max_steps or plan.total_steps <= plan.steps_of_epochs:
        return ""
    epochs = plan.total_steps * plan.per_step / plan.batches_per_epoch
    return f"; {epochs:.1f} epochs: [train] min_steps = {plan.min_steps} (a small dataset; 0: exactly epochs)"


def _report(setup: Setup, train: TokenizedSplit, val: TokenizedSplit, dtype: Any, rows: list) -> list[str]:
    config = setup.config.train
    lines = [
        f"{config.method} fine-tuning of {setup.config.bot.base_model} on {setup.device} ({str(dtype).split('.')[-1]}), "
        f"{setup.optimizer.trainable_count:,} trainable parameters",
        f"data: {len(train.examples)} training examples ({train.tokens:,} tokens, {train.target_tokens:,} with loss"
        + (f", {train.unwanted_tokens:,} unwanted: rejected replies" if train.unwanted_tokens else "") + ") "
        f"in {len(rows)} {'packed ' if config.packing else ''}rows; {len(val.examples)} validation examples",
        f"plan: {setup.plan.total_steps} steps of {config.batch_size} x {config.grad_accum} x {setup.world.size} "
        f"sequences of up to {config.max_length} tokens" + _passes(setup.plan),
    ]
    for split in (train, val):
        if split.truncated:
            lines.append(f"{split.name}: {split.truncated} of {split.records} examples were longer than "
                         f"max_length={config.max_length} tokens and were cut"
                         + (f"; {split.dropped} had nothing left to learn and were skipped" if split.dropped else ""))
    return lines
