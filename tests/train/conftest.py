"""Bots with small synthetic datasets on the tiny models, for the training tests."""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path

import pytest

WORDS = "the cat sat on a mat and then it ran far away over green hills to find a warm home".split()


def records(mode: str, count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    say = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731
    if mode == "completion":
        return [{"text": say(rng.randint(6, 40))} for _ in range(count)]
    return [{"messages": [{"role": "user", "content": say(5)}, {"role": "assistant", "content": say(8)}]}
            for _ in range(count)]


def _make_bot(root: Path, model: Path, *, mode: str = "completion", train: int = 40, validation: int = 8, **settings):
    """A bot folder on `model` with a written dataset and quick [train] settings."""
    from botsmith.bot_folder import new_bot
    from botsmith.config import save_config

    folder = new_bot(root, mode=mode, base_model=str(model))
    for name, count, seed in (("train", train, 0), ("validation", validation, 1)):
        rows = records(mode, count, seed)
        (folder.dataset_dir / f"{name}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    # eval_at_end is tested on its own (tests/eval): it would add seconds to every training test
    quick = dict(max_steps=6, batch_size=4, eval_every=3, max_length=64, learning_rate=1e-3, sample_tokens=4,
                 threads=1, eval_at_end=False)
    quick.update(settings)
    save_config(folder.root, folder.config().with_overrides("train", **quick))
    return folder


@pytest.fixture
def make_bot():
    return _make_bot


@pytest.fixture
def llama_bot(tmp_path, tiny_llama):
    return _make_bot(tmp_path / "bot", tiny_llama)


@pytest.fixture(scope="session")
def gpt2_without_chatml(tmp_path_factory) -> Path:
    """A tiny GPT-2 whose tokenizer has no chat markers at all, like the real GPT-2."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("gpt2-plain")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([" ".join(WORDS * 20)], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=4, n_positions=256,
                                       bos_token_id=0, eos_token_id=0))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@functools.lru_cache(maxsize=None)
def generated_kernels_work() -> bool:
    """Whether torch's inductor builds the generated kernels here (it needs a C++ compiler): where it cannot,
    training keeps the ATen RMSNorm and transformers' MLP, and the tests expect that instead."""
    import torch

    from botsmith.train.compiled import compiled

    try:
        compiled("swiglu_forward")(torch.ones(2, 4), torch.ones(2, 4))
    except Exception:
        return False
    return True
