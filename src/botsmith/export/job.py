"""What an exporter is given (`ExportJob`) and returns (`ExportResult`).

Exporters (export/formats.py, export/gguf/lora.py, or a new one) import these, never the
registry in export/api.py, so there is no import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.bot_folder import BotFolder


@dataclass
class ExportJob:
    folder: BotFolder
    config: Any  # BotConfig
    checkpoint: str  # best | final | last | PATH | base
    quant: str
    verify: bool
    log: Callable[[str], None]


@dataclass
class ExportResult:
    format: str
    path: Path  # the export folder
    files: list[Path] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # verification lines, as printed
    max_logit_diff: float | None = None
    warnings: list[str] = field(default_factory=list)


Exporter = Callable[[ExportJob, Path], ExportResult]  # (job, temporary folder) -> result


def bot_slug(config: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", config.bot.name.lower()).strip("-")
    return slug or "bot"
