"""Checkpoint folders, written atomically (a temporary folder, then a rename).

best/ and final/ follow `botsmith.models.load` (botsmith_checkpoint.json + a PEFT
adapter or a full model folder, + the tokenizer with its chat template; safetensors
only). last/ is the same plus the training state an exact resume needs:

    training_state.safetensors   fp32 master weights, AdamW moments, RNG state
    training_state.json          step, best validation loss, early-stopping count, tokens seen
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from botsmith.atomic import atomic_dir, write_json
from botsmith.errors import BotsmithError
from botsmith.models.load import CHECKPOINT_INFO

STATE_TENSORS = "training_state.safetensors"
STATE_INFO = "training_state.json"


@dataclass
class LoopState:
    """Everything besides tensors that the loop needs to continue."""

    step: int = 0  # optimizer steps completed
    best_val_loss: float | None = None
    best_step: int | None = None
    last_val_loss: float | None = None  # the latest evaluation's, recorded in final/
    evals_without_improvement: int = 0
    tokens_seen: int = 0
    elapsed_seconds: float = 0.0
    base_val_loss: float | None = None  # before step 1: where every loss curve starts


def save_checkpoint(dest: Path, model: Any, tokenizer: Any, info: dict[str, Any],
                    training_state: tuple[LoopState, dict[str, Any]] | None = None) -> Path:
    """Write a checkpoint folder; an existing one is replaced only once the new one is complete."""
    from safetensors.torch import save_file

    with atomic_dir(dest) as tmp:
        if hasattr(model, "peft_config"):
            model.save_pretrained(str(tmp), safe_serialization=True)
        else:
            model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        write_json(tmp / CHECKPOINT_INFO, info)
        if training_state is not None:
            state, tensors = training_state
            save_file(tensors, str(tmp / STATE_TENSORS))
            write_json(tmp / STATE_INFO, asdict(state))
    return dest


def load_training_state(last: Path) -> tuple[LoopState, dict[str, Any]]:
    """The loop state and tensors of a last/ checkpoint; a damaged one is a clear error."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    damaged = f"{last} is damaged or incomplete, so the run cannot be resumed"
    hint = "start a new run with: botsmith train (best/ and final/ of earlier runs are untouched)"
    if not (last / STATE_INFO).is_file() or not (last / STATE_TENSORS).is_file():
        raise BotsmithError(f"{damaged} (no training state)", hint=hint)
    try:
        state = LoopState(**json.loads((last / STATE_INFO).read_text()))
        tensors = load_file(str(last / STATE_TENSORS))
    except (OSError, ValueError, TypeError, SafetensorError) as error:
        raise BotsmithError(f"{damaged} ({str(error).splitlines()[0][:120]})", hint=hint) from None
    return state, tensors


def rng_tensors() -> dict[str, Any]:
    import torch

    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        tensors["rng/cuda"] = torch.cuda.get_rng_state()
    return tensors


def restore_rng(tensors: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(tensors["rng/torch"])
    if "rng/cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng/cuda"])
