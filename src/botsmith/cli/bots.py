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

    @app.command("demo")
    def demo(
        out: Path = typer.Option(Path("botsmith-demo"), "--out", "-o", help="Folder of the demo bot."),
        base_model: str = typer.Option(None, "--base-model", "-b", help="Base model (default: smollm2-135m)."),
        max_steps: int = typer.Option(30, "--max-steps", help="LoRA training steps."),
    ) -> None:
        """Run the whole path once: built-in story -> dataset -> LoRA fine-tune -> completions and a chat reply."""
        from botsmith.demo import run_demo

        result = run_demo(out, base_model=base_model, max_steps=max_steps, log=lambda line: typer.echo(line, err=True))
        typer.echo(f"\nDemo finished in {result.seconds:.0f} s. Your bot is in {result.bot_dir}/ "
                   f"(try: botsmith chat {result.bot_dir})")
