"""A tiny bot trained for real (full fine-tune, a few steps), to evaluate against its base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.train.conftest import _make_bot


@pytest.fixture(scope="session")
def trained_bot(tmp_path_factory, tiny_llama) -> Path:
    """A chat bot ("Ada" is me) whose full fine-tune lowers the held-out loss; its run has an eval-free finish."""
    from botsmith.train import train

    root = tmp_path_factory.mktemp("eval") / "bot"
    folder = _make_bot(root, tiny_llama, mode="chat", train=48, validation=10, method="full", max_steps=16,
                       eval_every=8, learning_rate=3e-3, max_length=64)
    stats = {"system_prompt": "You are Ada.", "character_names": ["Ada"]}
    (folder.dataset_dir / "stats.json").write_text(json.dumps(stats))
    train(folder.root, log=lambda line: None)
    return folder.root


def quick(**options):
    """evaluate() settings that keep a test in seconds on the tiny model."""
    return {"probes": 2, "max_new_tokens": 6, "log": lambda line: None, **options}
