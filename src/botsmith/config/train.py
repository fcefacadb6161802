"""The [train] table: how the base model is fine-tuned."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from botsmith.config.section import Section

Method = Literal["full", "lora", "qlora"]


class TrainSection(Section):
    method: Method = Field("lora", description="full, lora, or qlora (4-bit, needs CUDA and bitsandbytes).")
    epochs: float = Field(1.0, gt=0, description="Passes over the training set (ignored when max_steps > 0).")
    max_steps: int = Field(0, ge=0, description="Optimizer steps to run; 0 means use epochs.")
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    batch_size: int = Field(8, ge=1, description="Sequences per micro-batch.")
    grad_accum: int = Field(1, ge=1, description="Micro-batches per optimizer step.")
    max_length: int = Field(256, ge=8, description="Longest training sequence in tokens; longer examples are truncated and counted.")
    lora_r: int = Field(16, ge=1, description="LoRA rank.")
    lora_alpha: float = Field(32.0, gt=0, description="LoRA alpha (scale is alpha / r).")
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA path.")
    eval_every: int = Field(50, ge=1, description="Steps between validation-loss evaluations.")
    seed: int = Field(42, description="Seed for initialisation, data order and dropout.")
