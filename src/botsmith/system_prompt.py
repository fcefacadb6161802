"""The bot's system prompt: decided once when the dataset is built, then the same everywhere.

- `botsmith build` decides it (`for_build`) and records it in stats.json as "system_prompt";
  every conversation record of a character or chat bot carries it as its system message.
- `botsmith train` trains with the dataset's prompt and records it in each checkpoint
  (botsmith_checkpoint.json), and its chat format puts it in front of the chat template.
- chat, complete, serve, eval and every export ask `for_runtime`, so they send the model
  the very text it was trained with; `[bot] system_prompt`, when set, wins everywhere.

None means the bot has no system prompt: then no system message at all, and no persona
a base template would inject by itself (see `ChatFormat.with_system`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botsmith.errors import BotsmithError

STATS_KEY = "system_prompt"


def for_build(config: Any, character_name: str | None = None) -> str | None:
    """The system prompt a new dataset is built with: [bot] system_prompt, else the character's persona
    (`character_name`: the character as the books name it most, e.g. "Elizabeth" for --character elizabeth),
    else for a chat bot yours: "You are Ana." from the first of `[chats] me` that is a name (not a number or a
    handle with digits). Without it a chat bot names itself at random ("I'm Emily Wilson, a freelance writer")."""
    from botsmith.dataset.identity import spoken_names

    if config.bot.system_prompt:
        return config.bot.system_prompt
    if config.bot.mode == "dialogue" and config.dataset.character:
        return f"You are {character_name or config.dataset.character}."
    names = spoken_names(config.chats.me) if config.bot.mode == "chat" else []
    return f"You are {names[0]}." if names else None


def recorded_in_dataset(dataset_dir: Path) -> tuple[bool, str | None]:
    """(whether stats.json records a system prompt, the prompt); datasets built before it was recorded say False."""
    try:
        stats = json.loads((Path(dataset_dir) / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None
    if not isinstance(stats, dict) or STATS_KEY not in stats:
        return False, None
    value = stats[STATS_KEY]
    return True, value if isinstance(value, str) and value else None


def for_training(dataset_dir: Path, config: Any) -> str | None:
    """The prompt a run trains with: the dataset's own, which must agree with [bot] system_prompt when that is set."""
    recorded, prompt = recorded_in_dataset(dataset_dir)
    if not recorded:
        return for_build(config)
    configured = config.bot.system_prompt
    if configured and configured != prompt:
        raise BotsmithError(
            f"[bot] system_prompt is {configured!r} but the dataset was built with "
            f"{prompt!r}: the bot would be trained with one and talked to with the other",
            hint="rebuild the dataset with: botsmith build",
        )
    return prompt


def for_runtime(config: Any, dataset_dir: Path, checkpoint_info: dict | None = None) -> str | None:
    """The prompt chat, serve, eval and exports send: [bot] system_prompt when set, else the one the
    checkpoint was trained with, else the dataset's (a bot not trained yet), else the one build would use."""
    if config.bot.mode == "completion":
        return None
    if config.bot.system_prompt:
        return config.bot.system_prompt
    if checkpoint_info and STATS_KEY in checkpoint_info:
        value = checkpoint_info[STATS_KEY]
        return value if isinstance(value, str) and value else None
    recorded, prompt = recorded_in_dataset(dataset_dir)
    return prompt if recorded else for_build(config)
