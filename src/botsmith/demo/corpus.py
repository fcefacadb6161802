"""The demo's built-in corpus: an original short story written for botsmith."""

from __future__ import annotations

from importlib import resources


def sample_story_text() -> str:
    return resources.files("botsmith.demo").joinpath("sample_story.txt").read_text(encoding="utf-8")
