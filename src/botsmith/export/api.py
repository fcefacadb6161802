"""`export_model`: a trained bot as a Hugging Face folder, a GGUF + Modelfile, or a GGUF LoRA adapter.

Exporters register by name. Each writes into a temporary folder beside
`exports/<name>/` that replaces it only once everything is written and verified, so a
failed or interrupted export leaves the previous one (or nothing) in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.atomic import atomic_dir
from botsmith.bot_folder import BotFolder, open_bot
from botsmith.errors import BotsmithError


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
_EXPORTERS: dict[str, tuple[Exporter, Callable[[ExportJob], str]]] = {}


def register_exporter(name: str, exporter: Exporter, folder_name: Callable[[ExportJob], str]) -> None:
    _EXPORTERS[name] = (exporter, folder_name)


def export_formats() -> list[str]:
    return sorted(_EXPORTERS)


def export_model(bot_dir: str | Path = ".", *, format: str = "gguf", quant: str | None = None,
                 checkpoint: str = "best", out: str | Path | None = None, force: bool = False,
                 verify: bool = True, log: Callable[[str], None] = print) -> ExportResult:
    """Export the bot's trained model; returns where it went and what the verification found."""
    _load_builtin_exporters()
    if format not in _EXPORTERS:
        raise BotsmithError(f"unknown export format '{format}'", hint=f"choose one of {', '.join(export_formats())}")
    folder = open_bot(bot_dir)
    config = folder.config()
    job = ExportJob(folder, config, checkpoint, (quant or config.export.quant).lower(), verify, log)
    exporter, folder_name = _EXPORTERS[format]
    target = Path(out) if out else folder.exports_dir / folder_name(job)
    if target.exists() and not force:
        raise BotsmithError(f"{target} already exists", hint="pass --force to replace it, or --out for another folder")
    try:
        with atomic_dir(target) as tmp:
            result = exporter(job, tmp)
            _make_shareable(tmp)
    except OSError as error:  # a full disk while writing the Modelfile, card or safetensors
        raise BotsmithError(f"could not write {target}: {error.strerror or error}",
                            hint="free some space or pass --out on another disk; nothing was left half-written") from None
    result.path = target
    result.files = [target / file.relative_to(tmp) for file in result.files]
    return result


def _make_shareable(folder: Path) -> None:
    # Temporary files are created private (0600); an export is meant to be read by others.
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _load_builtin_exporters() -> None:
    import botsmith.export.formats  # noqa: F401  (registers hf, gguf, gguf-lora)


def bot_slug(config: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", config.bot.name.lower()).strip("-")
    return slug or "bot"
