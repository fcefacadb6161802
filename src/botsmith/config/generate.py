"""The [generate] table: sampling defaults for chat, complete and serve."""

from __future__ import annotations

from pydantic import Field

from botsmith.config.section import Section


class GenerateSection(Section):
    temperature: float = Field(0.7, ge=0.0, le=5.0, description="Sampling temperature (0: greedy).")
    top_p: float = Field(0.9, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    top_k: int = Field(50, ge=0, description="Sample only among the k likeliest tokens (0: off).")
    repetition_penalty: float = Field(1.1, ge=1.0, le=3.0, description="Penalty for repeating tokens (1: off).")
    max_new_tokens: int = Field(200, ge=1, le=8192, description="Longest reply in tokens.")
