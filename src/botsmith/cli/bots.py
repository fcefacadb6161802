"""`botsmith new` and `botsmith demo`."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("new")
    def new(
        path: Path = typer.Argument(..., help="Folder of the new bot (its name by default)."),
        mode: str = typer.Option("completion", "--mode", "-m", help="completion | dialogue | chat"),
        base_model: str = typer.Option("smollm2-135m", "--base-model", "-b", help="Alias, model folder, .gguf or Hub id."),
    ) -> None:
        """Create a bot folder with a documented botsmith.toml."""
        from botsmith.bot_folder import new_bot

        folder = new_bot(path, mode=mode, base_model=base_model)
        typer.echo(f"Created {folder.config_file}")
