"""The [dataset] table: how cleaned sources become training records."""

from __future__ import annotations

from pydantic import Field

from botsmith.config.section import Section


class DatasetSection(Section):
    fragment_tokens: int = Field(256, ge=16, description="Completion mode: fragment length in base-model tokens.")
    overlap_tokens: int = Field(32, ge=0, description="Completion mode: tokens shared by consecutive fragments.")
    validation_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="Share of chapters/books/sessions held out for validation.")
    seed: int = Field(42, description="Seed for the train/validation split.")
    character: str = Field("", description="Dialogue mode: the character the bot answers as (empty: every speaker).")
