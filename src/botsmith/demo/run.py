"""`botsmith demo`: the whole path once, thinly, on the built-in story.

story -> cleaned source -> completion fragments -> short LoRA fine-tune of the
default model on CPU -> sample completions and one chat reply. Each step is the
same library call a user's own bot goes through; nothing here is demo-only logic
except the small settings that keep it under a few minutes on two cores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from botsmith.demo.corpus import sample_story_path

DEMO_PROMPTS = ("Every evening at a quarter past six,", "The clock-mender opened the door and")
DEMO_QUESTION = "Who lights the lamps on Holloway Steps?"


@dataclass
class DemoResult:
    bot_dir: Path
    completions: list[tuple[str, str]] = field(default_factory=list)
    chat_reply: str = ""
    seconds: float = 0.0
    best_val_loss: float | None = None


def run_demo(out: str | Path = "botsmith-demo", *, base_model: str | None = None, max_steps: int = 30,
             log=print) -> DemoResult:
    """Run the demo in `out` (created if missing; an earlier demo there gets a new run)."""
    started = time.perf_counter()
    folder = _demo_bot(Path(out), base_model, max_steps)
    result = DemoResult(folder.root)
    log("[1/4] Adding the built-in story as a source...")
    _add_story(folder)
    log("[2/4] Building a dataset of story fragments...")
    from botsmith.dataset import build_dataset

    built = build_dataset(folder.root, log=log)
    log(f"      {built.counts_line()}")
    log("[3/4] Fine-tuning the default model with LoRA (CPU)...")
    from botsmith.train import train

    run = train(folder.root, log=log)
    result.best_val_loss = run.best_val_loss
    log("[4/4] Talking to the fine-tuned bot...")
    _talk(folder.root, result, log)
    result.seconds = time.perf_counter() - started
    return result


def _demo_bot(root: Path, base_model: str | None, max_steps: int):
    from botsmith.bot_folder import new_bot, open_bot
    from botsmith.config import save_config
    from botsmith.models import DEFAULT_MODEL

    folder = open_bot(root) if (root / "botsmith.toml").exists() else new_bot(root, mode="completion", name="Lamplighter")
    config = folder.config()
    config = config.with_overrides("bot", base_model=base_model or config.bot.base_model or DEFAULT_MODEL)
    # Small, quick settings: a 1,400-word story, fragments of 96 tokens, a few dozen steps.
    config = config.with_overrides("dataset", fragment_tokens=96, overlap_tokens=16, validation_fraction=0.15)
    # The story is small: validation loss bottoms out early, so evaluate often and keep the best.
    config = config.with_overrides("train", method="lora", max_steps=max_steps, batch_size=4, max_length=128,
                                   learning_rate=5e-4, eval_every=5)
    save_config(folder.root, config)
    return folder


def _add_story(folder) -> None:
    from botsmith.sources import add_files

    with sample_story_path() as story:  # add_files keeps its own copy in data/raw/
        add_files(folder.root, [story])


def _talk(bot_dir: Path, result: DemoResult, log) -> None:
    from botsmith.chat import Chatbot

    bot = Chatbot.from_bot(bot_dir, checkpoint="best")
    for prompt in DEMO_PROMPTS:
        text = bot.complete(prompt, n=1, max_new_tokens=40, temperature=0.7, seed=0)[0]
        result.completions.append((prompt, text))
        log(f"\n> {prompt}{text}")
    result.chat_reply = bot.reply([{"role": "user", "content": DEMO_QUESTION}], max_new_tokens=60, seed=0)
    log(f"\nYou: {DEMO_QUESTION}\nBot: {result.chat_reply}")
