"""`botsmith export`, `botsmith push` and `botsmith push-dataset`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _log(line: str) -> None:
    typer.echo(line, err=True)


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        bot: str = typer.Argument(".", help="The bot's folder."),
        format: str = typer.Option("gguf", "--format", "-f", help="hf (merged Hugging Face folder), gguf (+ Ollama Modelfile) or gguf-lora (adapter only)."),
        quant: Optional[str] = typer.Option(None, "--quant", "-q", help="GGUF type: f16, bf16, q8_0, q4_0; k-quants (q4_k_m, ...) with llama-cpp-python installed or llama-quantize on the PATH. Default: the quant in botsmith.toml."),
        checkpoint: str = typer.Option("best", "--checkpoint", "-c", help="best, final, last, a run id (its best), a checkpoint folder (e.g. runs/RUN-ID/final), or base (the untrained base model)."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Export folder (default: BOT/exports/FORMAT, e.g. exports/gguf-q8_0)."),
        force: bool = typer.Option(False, "--force", help="Replace an existing export."),
    ) -> None:
        """Export the trained model, then verify it (read back, compare tensors and logits)."""
        from botsmith.bot_folder import open_bot
        from botsmith.export import export_model

        if quant is not None:
            open_bot(bot).config().with_overrides("export", quant=quant)  # validates the name, with the list
        result = export_model(bot, format=format, quant=quant, checkpoint=checkpoint, out=out, force=force, log=_log)
        for warning in result.warnings:
            _log(f"warning: {warning}")
        _log(f"Exported to {result.path}:")
        for path in result.files:
            _log(f"  {path.name}")
        if format == "gguf":
            _log(f"Run it: cd {result.path} && ollama create {result.path.parent.parent.name} -f Modelfile "
                 f"&& ollama run {result.path.parent.parent.name}")
        typer.echo(str(result.path))

    @app.command("push")
    def push(
        bot: str = typer.Argument(".", help="The bot's folder."),
        repo: Optional[str] = typer.Option(None, "--repo", "-r", help="Hub repo user/name (default: hub_repo in botsmith.toml)."),
        private: bool = typer.Option(False, "--private", help="Create the repo private."),
        gguf: bool = typer.Option(False, "--gguf", help="Also upload the GGUF and the template/params files Ollama reads."),
        quant: Optional[str] = typer.Option(None, "--quant", "-q", help="Which GGUF export to upload (default: the quant in botsmith.toml)."),
        checkpoint: str = typer.Option("best", "--checkpoint", "-c", help="Checkpoint to export if no export exists yet."),
    ) -> None:
        """Upload the exported model to the Hugging Face Hub (token: HF_TOKEN or 'hf auth login')."""
        from botsmith.export import push_model

        url = push_model(bot, repo=repo, private=private, gguf=gguf, quant=quant, checkpoint=checkpoint, log=_log)
        typer.echo(url)

    @app.command("push-dataset")
    def push_dataset_(
        bot: str = typer.Argument(".", help="The bot's folder."),
        repo: str = typer.Option(..., "--repo", "-r", help="Hub dataset repo user/name."),
        private: Optional[bool] = typer.Option(None, "--private/--public", help="Repo visibility (default: private for a chat bot's dataset, which holds other people's messages; public otherwise)."),
    ) -> None:
        """Upload the bot's dataset (train/validation JSONL + stats) with a dataset card."""
        from botsmith.export import push_dataset

        typer.echo(push_dataset(bot, repo=repo, private=private, log=_log))
