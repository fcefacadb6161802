"""The [train] table: how the base model is fine-tuned."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from botsmith.config.section import Section

Method = Literal["full", "lora", "qlora"]
Schedule = Literal["cosine", "linear", "constant"]
Precision = Literal["auto", "bf16", "fp16", "fp32"]
Device = Literal["auto", "cpu", "cuda", "mps"]
LogTo = Literal["none", "tensorboard", "wandb"]


class TrainSection(Section):
    method: Method = Field("lora", description="full, lora, or qlora (4-bit, needs CUDA and bitsandbytes).")
    epochs: float = Field(1.0, gt=0, description="Passes over the training set (ignored when max_steps > 0; character "
                                                 "and chat bots train at least min_steps).")
    max_steps: int = Field(0, ge=0, description="Optimizer steps to run; 0 means use epochs.")
    min_steps: int = Field(
        36, ge=0,
        description="Character and chat bots trained by epochs: at least this many optimizer steps, so a small "
                    "dataset gets the passes it needs to learn the character's name (docs/train.md; story bots train "
                    "exactly `epochs`). 0: exactly `epochs`.",
    )
    rejected_weight: float = Field(
        3.0, ge=0.0,
        description="Weight of the loss that pushes down what a rejected reply would say first (identity examples "
                    "reject a base model's \"I am an AI assistant\"; docs/train.md). 0: off.")
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    schedule: Schedule = Field("cosine", description="Learning-rate decay after warmup: cosine, linear or constant.")
    warmup_steps: int = Field(0, ge=0, description="Optimizer steps of linear warmup (0: use warmup_ratio).")
    warmup_ratio: float = Field(0.03, ge=0.0, lt=1.0, description="Share of all optimizer steps spent warming up, when warmup_steps is 0.")
    weight_decay: float = Field(0.0, ge=0.0, description="AdamW weight decay (not applied to biases and norms).")
    max_grad_norm: float = Field(1.0, ge=0.0, description="Clip the gradient norm to this (0: no clipping).")
    batch_size: int = Field(8, ge=1, description="Sequences per micro-batch.")
    grad_accum: int = Field(1, ge=1, description="Micro-batches per optimizer step.")
    max_length: int = Field(256, ge=8, description="Longest training sequence in tokens; longer examples are truncated and counted.")
    packing: bool = Field(True, description="Pack short examples into full-length sequences (attention never crosses examples); off: length-grouped batches.")
    gradient_checkpointing: bool = Field(False, description="Recompute activations in the backward pass: less memory, about 30% slower.")
    lora_r: int = Field(16, ge=1, description="LoRA rank.")
    lora_alpha: float = Field(32.0, gt=0, description="LoRA alpha (scale is alpha / r).")
    lora_dropout: float = Field(
        0.0, ge=0.0, lt=1.0,
        description="Dropout on the LoRA path. Default 0: with 0.05 one epoch of the default bot ends at the same "
                    "validation loss (docs/train.md) and a CPU step takes a fifth longer.")
    target_modules: list[str] = Field(
        default_factory=list,
        description="LoRA target module names (e.g. q_proj, v_proj); empty: every linear layer of the transformer blocks.",
    )
    eval_every: int = Field(50, ge=1, description="Optimizer steps between validation-loss evaluations (also at the end).")
    save_every: int = Field(0, ge=0, description="Optimizer steps between resumable last/ checkpoints (0: at each evaluation).")
    patience: int = Field(0, ge=0, description="Early stopping: stop after this many evaluations without a better validation loss (0: never).")
    sample_every: int = Field(0, ge=0, description="Optimizer steps between sample generations (0: at each evaluation).")
    sample_prompts: list[str] = Field(
        default_factory=list,
        description="Fixed prompts for sample generations (empty: the start of the first validation examples).",
    )
    sample_tokens: int = Field(48, ge=1, description="Tokens generated per sample prompt.")
    eval_at_end: bool = Field(
        True, description="At the end, a quick botsmith eval of the best checkpoint against the base model "
                          "(held-out perplexity, persona leaks, identity, Delta; 1-1.5 minutes on two CPU cores).")
    precision: Precision = Field("auto", description="Compute precision: auto (bf16 where fast, else fp32 on CPU / fp16 on older GPUs), bf16, fp16 or fp32.")
    device: Device = Field("auto", description="Where to train: auto (cuda, then mps, then cpu), cpu, cuda or mps.")
    threads: int = Field(0, ge=0, description="CPU threads for training (0: one per physical core).")
    cpu_kernels: bool = Field(
        True,
        description=("On the CPU, botsmith's training kernels (attention backward, RMSNorm, LoRA dropout and sibling "
                     "projections, fused loss), each installed after a numerical probe; the run log names them. "
                     "false: transformers' and PEFT's own modules (slower; to compare, or to rule a kernel out)."),
    )
    log_to: LogTo = Field("none", description="Also log metrics to tensorboard or wandb (when installed).")
    seed: int = Field(42, description="Seed for initialisation, data order and dropout.")

