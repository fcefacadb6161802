"""Fixtures for talking to bots: the parrot model, bot folders, a LoRA checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chat.parrot import session_parrot


@pytest.fixture(scope="session")
def parrot(tmp_path_factory) -> Path:
    return session_parrot(tmp_path_factory)


@pytest.fixture(scope="session")
def mute_parrot(tmp_path_factory) -> Path:
    """A parrot that has learnt to end its turn before a word."""
    return session_parrot(tmp_path_factory, mute=True)


@pytest.fixture(scope="session")
def parrot_loaded(parrot):
    from botsmith.models import load_base

    return load_base(str(parrot), log=lambda line: None)


@pytest.fixture
def parrot_bot(parrot_loaded):
    from botsmith.chat import Chatbot

    return Chatbot(parrot_loaded, name="parrot", log=lambda line: None)


@pytest.fixture
def bot_dir(tmp_path, parrot) -> Path:
    """A bot folder whose base model is the parrot, not trained yet."""
    from botsmith.bot_folder import new_bot

    return new_bot(tmp_path / "parrot", mode="chat", base_model=str(parrot), name="parrot").root


def save_lora_checkpoint(base: Path, target: Path) -> Path:
    """A checkpoint as botsmith.train writes it: PEFT adapter + tokenizer + botsmith_checkpoint.json."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(str(base)),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    model.save_pretrained(target)
    AutoTokenizer.from_pretrained(str(base)).save_pretrained(target)
    info = {"kind": "lora", "base_model": str(base), "step": 1, "val_loss": 1.0, "method": "lora"}
    (target / "botsmith_checkpoint.json").write_text(json.dumps(info))
    return target
