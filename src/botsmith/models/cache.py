"""Where botsmith keeps what it downloads: $BOTSMITH_HOME (default ~/.cache/botsmith)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


def botsmith_home() -> Path:
    return Path(os.environ.get("BOTSMITH_HOME") or Path.home() / ".cache" / "botsmith")


def models_dir() -> Path:
    return botsmith_home() / "models"


MODEL_INFO = "botsmith_model.json"


@dataclass(frozen=True)
class CachedModel:
    name: str
    path: Path
    size_bytes: int
    info: dict


def folder_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def cached_models() -> list[CachedModel]:
    """Complete cache entries only: a folder counts once its info file is in place."""
    root = models_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        info_file = folder / MODEL_INFO
        if folder.name.startswith(".") or not info_file.is_file():
            continue
        found.append(CachedModel(folder.name, folder, folder_size(folder), json.loads(info_file.read_text())))
    return found
