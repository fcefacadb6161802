"""The [dataset] table: how cleaned sources become training records."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from botsmith.config.section import Section

SplitBy = Literal["chapter", "source"]


class DatasetSection(Section):
    fragment_tokens: int = Field(256, ge=16, description="Completion mode: fragment length in base-model tokens.")
    overlap_tokens: int = Field(32, ge=0, description="Completion mode: tokens shared by consecutive fragments.")
    prompt_completion: bool = Field(
        False,
        description="Completion mode: write prompt/completion pairs (the prompt is the start of a sentence, the "
        "completion carries it on) instead of plain fragments.",
    )
    validation_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="Share of chapters/books/sessions held out for validation.")
    split_by: SplitBy = Field("chapter", description="Unit kept whole on one side of the split: chapter or source (a whole book).")
    seed: int = Field(42, description="Seed for the train/validation split.")
    character: str = Field("", description="Dialogue mode: the character the bot answers as (empty: every speaker; several names separated by commas: one character, e.g. 'Henry, Mr. Tilney').")
    quotes: str = Field("auto", description="Dialogue mode: quote convention of the novels: auto, double-curly, double-straight, single-curly, single-straight, guillemets, german or dash.")
    pairs: bool = Field(True, description="Dialogue mode: write every input -> response pair.")
    window_turns: int = Field(
        6, ge=0, le=64,
        description="Dialogue mode: also write multi-turn windows of at most this many turns (0-2: no windows).",
    )
    context: bool = Field(
        False, description="Dialogue mode: put the narration (or stage direction) before an exchange into its system message.",
    )
    identity_examples: int = Field(
        288, ge=0, le=512,
        description="Character and chat bots: add this many exchanges in which the bot is asked who it is and answers "
                    "with its name, or whether it is a machine and answers as itself (training split only; 0: none; the "
                    "36 question templates in turn). Without them a small base model answers with a name of its own "
                    "invention and, asked if it is an AI, says it is one; a fine-tune wears away the name the system "
                    "prompt gives it.",
    )
    dedup_threshold: float = Field(
        0.8, gt=0.0, le=1.0,
        description="Word 5-gram Jaccard similarity at which two examples count as near-duplicates (1.0: exact duplicates only).",
    )
