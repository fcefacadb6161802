"""Sources register by name; `botsmith add <name>` and `add_source` look them up.

The built-in sources (gutenberg, files) register the same way a new one would:

    @register_source("mysite")
    def add_mysite(bot_dir, items, **options) -> AddReport: ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from botsmith.errors import BotsmithError
from botsmith.sources.ingest import AddReport

AddFunction = Callable[..., AddReport]
_SOURCES: dict[str, AddFunction] = {}


def register_source(name: str) -> Callable[[AddFunction], AddFunction]:
    def decorate(function: AddFunction) -> AddFunction:
        _SOURCES[name] = function
        return function

    return decorate


def source_names() -> list[str]:
    _load_builtins()
    return sorted(_SOURCES)


def get_source(name: str) -> AddFunction:
    _load_builtins()
    if name not in _SOURCES:
        raise BotsmithError(f"unknown source {name!r}", hint=f"choose one of: {', '.join(sorted(_SOURCES))}")
    return _SOURCES[name]


def add_source(bot_dir: str | Path, name: str, items: Sequence[str], **options: Any) -> AddReport:
    """Add `items` (book numbers, paths, ...) from the source `name` to a bot."""
    return get_source(name)(bot_dir, items, **options)


def _load_builtins() -> None:
    from botsmith.sources import files, gutenberg

    register_source("gutenberg")(gutenberg.add_gutenberg)
    register_source("files")(files.add_files)
