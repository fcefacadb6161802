"""Held-out perplexity, computed exactly as training computes its validation loss.

The validation records are tokenized by training's own `Tokenizer` with the bot's chat
format (its system prompt included), so the loss falls on the same tokens training
weights: assistant turns and their end-of-turn marker for dialogue and chat bots, every
token of a fragment, the completion of a prompt/completion pair. Rows are packed and
summed by training's `evaluate_loss`, so a checkpoint's perplexity here is exp of the
validation loss training logged for it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class HeldOut:
    loss: float  # mean negative log-likelihood per target token (nats)
    perplexity: float
    target_tokens: int
    examples: int
    cut: int  # examples longer than max_length, cut as training cuts them

    def as_dict(self) -> dict[str, Any]:
        return {key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()}


def heldout(model: Any, tokenizer: Any, chat_format: Any, records: list[dict], *, max_length: int,
            batch_size: int = 8) -> HeldOut:
    """Loss and perplexity of `model` on `records` (the validation split)."""
    from botsmith.train.data import Tokenizer
    from botsmith.train.distributed import World
    from botsmith.train.loop import evaluate_loss
    from botsmith.train.loss import LossComputer
    from botsmith.train.packing import fixed_batches, pack

    split = Tokenizer(tokenizer, chat_format, max_length=max_length).split("validation", records)
    batches = fixed_batches(pack(split.examples, max_length), batch_size)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = str(next(model.parameters()).device)
    loss = evaluate_loss(model, LossComputer(model), batches, device=device, world=World(), pad_id=pad_id)
    if loss is None:
        raise ValueError("no validation example has a target token")
    return HeldOut(loss, math.exp(min(loss, 50.0)), split.target_tokens, len(split.examples), split.truncated)
