"""Sources register by name; `botsmith add <name>` and `add_source` look them up.

The built-in sources (gutenberg, files) are registered at the bottom of this module, at
import, with the same call a new one uses:

    register_source("mysite", add_mysite)   # def add_mysite(bot_dir, items, **options) -> AddReport

A name that is taken is an error unless `replace=True`, so nothing overwrites a source silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from botsmith.errors import BotsmithError
from botsmith.sources.files import add_files
from botsmith.sources.gutenberg import add_gutenberg
from botsmith.sources.ingest import AddReport

AddFunction = Callable[..., AddReport]
_SOURCES: dict[str, AddFunction] = {}


def register_source(name: str, function: AddFunction, *, replace: bool = False) -> AddFunction:
    """Make `function` the source `name`; a taken name needs `replace=True`."""
    if name in _SOURCES and not replace:
        raise BotsmithError(f"source '{name}' is already registered",
                            hint="choose another name, or pass replace=True to replace it")
    _SOURCES[name] = function
    return function


def source_names() -> list[str]:
    return sorted(_SOURCES)


def get_source(name: str) -> AddFunction:
    if name not in _SOURCES:
        raise BotsmithError(f"unknown source {name!r}", hint=f"choose one of: {', '.join(sorted(_SOURCES))}")
    return _SOURCES[name]


def add_source(bot_dir: str | Path, name: str, items: Sequence[str], **options: Any) -> AddReport:
    """Add `items` (book numbers, paths, ...) from the source `name` to a bot."""
    return get_source(name)(bot_dir, items, **options)


register_source("gutenberg", add_gutenberg)
register_source("files", add_files)
