"""`export_model`: a trained bot as a Hugging Face folder, a GGUF + Modelfile, or a GGUF LoRA adapter.

Exporters register by name: the built-ins (hf, gguf, gguf-lora) at the bottom of this module,
at import, with the same `register_exporter` call a new one uses; a name that is taken is an
error unless `replace=True`. Each writes into a temporary folder beside `exports/<name>/`
that replaces it only once everything is written and verified, so a failed or interrupted
export leaves the previous one (or nothing) in place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from botsmith.atomic import atomic_dir
from botsmith.bot_folder import open_bot
from botsmith.errors import BotsmithError
from botsmith.export.formats import export_gguf, export_gguf_lora, export_hf
from botsmith.export.job import Exporter, ExportJob, ExportResult, bot_slug

__all__ = ["ExportJob", "ExportResult", "Exporter", "bot_slug", "export_formats", "export_model", "register_exporter"]


_EXPORTERS: dict[str, tuple[Exporter, Callable[[ExportJob], str]]] = {}


def register_exporter(name: str, exporter: Exporter, folder_name: Callable[[ExportJob], str], *,
                      replace: bool = False) -> None:
    """Make `exporter` the format `name`, writing into exports/<folder_name(job)>; a taken name needs `replace=True`."""
    if name in _EXPORTERS and not replace:
        raise BotsmithError(f"export format '{name}' is already registered",
                            hint="choose another name, or pass replace=True to replace it")
    _EXPORTERS[name] = (exporter, folder_name)


def export_formats() -> list[str]:
    return sorted(_EXPORTERS)


def export_model(bot_dir: str | Path = ".", *, format: str = "gguf", quant: str | None = None,
                 checkpoint: str = "best", out: str | Path | None = None, force: bool = False,
                 verify: bool = True, log: Callable[[str], None] = print) -> ExportResult:
    """Export the bot's trained model; returns where it went and what the verification found."""
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


register_exporter("hf", export_hf, lambda job: "hf")
register_exporter("gguf", export_gguf, lambda job: f"gguf-{job.quant}")
register_exporter("gguf-lora", export_gguf_lora, lambda job: "gguf-lora")
