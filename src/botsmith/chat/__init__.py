"""Talking to a bot: the generation engine, `Chatbot`, the terminal session, completion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.chat.chatbot import Chatbot, Request
from botsmith.chat.generate import Engine, GenerationStats, GenerationStream
from botsmith.chat.sampling import Sampling

__all__ = ["Chatbot", "Engine", "GenerationStats", "GenerationStream", "Request", "Sampling", "complete"]


def complete(bot_dir: str | Path, prompt: str, n: int = 1, *, checkpoint: str | None = None, **sampling: Any) -> list[str]:
    """`n` continuations of `prompt` by the bot in `bot_dir` (see Chatbot.complete)."""
    return Chatbot.from_bot(bot_dir, checkpoint).complete(prompt, n, **sampling)
