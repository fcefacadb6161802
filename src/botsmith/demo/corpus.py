"""The demo's built-in corpus: an original short story written for botsmith."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

_STORY = resources.files("botsmith.demo").joinpath("lamplighter.txt")


def sample_story_text() -> str:
    return _STORY.read_text(encoding="utf-8")


@contextlib.contextmanager
def sample_story_path() -> Iterator[Path]:
    """The story as a file on disk (extracted for the duration if the package is zipped)."""
    with resources.as_file(_STORY) as path:
        yield path
