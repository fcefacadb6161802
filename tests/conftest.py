"""Shared fixtures: tiny random models built from configs, a private BOTSMITH_HOME.

Every model here is random and tiny (2 layers, width 32), built in the test from a
config and the committed 512-token tokenizer asset, so the whole pipeline runs on
CPU in seconds. Tests that need the real default model are marked `slow`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ASSETS = Path(__file__).parent / "assets"
TINY_TOKENIZER = ASSETS / "tiny_tokenizer"
SHARED_CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch):
    """Each test gets its own BOTSMITH_HOME, except the shared model cache (see real_home)."""
    home = tmp_path_factory.mktemp("botsmith-home")
    monkeypatch.setenv("BOTSMITH_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield home


def build_tiny_model(kind: str, folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny random `llama` or `gpt2` model with the test tokenizer into `folder`."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(TINY_TOKENIZER))
    torch.manual_seed(seed)
    if kind == "llama":
        config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                             bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                             pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True)
        model = LlamaForCausalLM(config)
    elif kind == "gpt2":
        # GPT-2 style: no chat template, so botsmith must add ChatML itself.
        tokenizer.chat_template = None
        config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=4, n_positions=512,
                            bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
                            eos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"))
        model = GPT2LMHeadModel(config)
        tokenizer.eos_token = tokenizer.bos_token = "<|endoftext|>"
        tokenizer.pad_token = None
    else:
        raise ValueError(kind)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    return build_tiny_model("llama", tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory) -> Path:
    return build_tiny_model("gpt2", tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture
def corpora() -> Path:
    if not SHARED_CORPORA.is_dir():
        pytest.skip("../shared/corpora is absent")
    return SHARED_CORPORA


@pytest.fixture
def real_home(monkeypatch) -> Path:
    """The user's real BOTSMITH_HOME, so slow tests reuse one downloaded default model."""
    home = Path(os.environ.get("BOTSMITH_TEST_HOME") or Path.home() / ".cache" / "botsmith")
    monkeypatch.setenv("BOTSMITH_HOME", str(home))
    return home
