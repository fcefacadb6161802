"""botsmith: turn the texts a person loves into a bot they can talk to.

The Python API mirrors the CLI; names are imported lazily so that `import botsmith`
does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    "new_bot": "botsmith.bot_folder",
    "open_bot": "botsmith.bot_folder",
    "load_config": "botsmith.config",
    "pull_model": "botsmith.models",
    "resolve_model": "botsmith.models",
    "load_base": "botsmith.models",
    "load_checkpoint": "botsmith.models",
    "run_demo": "botsmith.demo",
    "list_runs": "botsmith.runs",
    # sources
    "search_gutenberg": "botsmith.sources",
    "add_gutenberg": "botsmith.sources",
    "add_files": "botsmith.sources",
    "clean_text": "botsmith.sources",
    # extract + dataset
    "extract_dialogue": "botsmith.extract",
    "build_dataset": "botsmith.dataset",
    "inspect_dataset": "botsmith.dataset",
    # chats
    "parse_chat": "botsmith.chats",
    # train
    "train": "botsmith.train",
    # talk
    "Chatbot": "botsmith.chat",
    "complete": "botsmith.chat",
    "serve": "botsmith.serve",
    # eval
    "eval": "botsmith.eval",
    "evaluate": "botsmith.eval",
    # export
    "export_model": "botsmith.export",
    "push_model": "botsmith.export",
    "push_dataset": "botsmith.export",
}


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'botsmith' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
