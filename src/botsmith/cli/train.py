"""`botsmith train` and `botsmith runs`."""

from __future__ import annotations

import os
from typing import Optional

import typer

from botsmith.config.train import TrainSection


def _help(field: str) -> str:
    return TrainSection.model_fields[field].description or ""


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train_(
        bot: str = typer.Argument(".", help="The bot's folder."),
        method: Optional[str] = typer.Option(None, "--method", "-m", help=_help("method")),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", help=_help("max_steps")),
        epochs: Optional[float] = typer.Option(None, "--epochs", help=_help("epochs")),
        learning_rate: Optional[float] = typer.Option(None, "--lr", help=_help("learning_rate")),
        batch_size: Optional[int] = typer.Option(None, "--batch-size", help=_help("batch_size")),
        grad_accum: Optional[int] = typer.Option(None, "--grad-accum", help=_help("grad_accum")),
        max_length: Optional[int] = typer.Option(None, "--max-length", help=_help("max_length")),
        lora_r: Optional[int] = typer.Option(None, "--lora-r", help=_help("lora_r")),
        eval_every: Optional[int] = typer.Option(None, "--eval-every", help=_help("eval_every")),
        device: Optional[str] = typer.Option(None, "--device", help=_help("device")),
        precision: Optional[str] = typer.Option(None, "--precision", help=_help("precision")),
        packing: Optional[bool] = typer.Option(None, "--packing/--no-packing", help=_help("packing")),
        gradient_checkpointing: Optional[bool] = typer.Option(
            None, "--gradient-checkpointing/--no-gradient-checkpointing", help=_help("gradient_checkpointing")),
        cpu_kernels: Optional[bool] = typer.Option(None, "--cpu-kernels/--no-cpu-kernels", help=_help("cpu_kernels")),
        log_to: Optional[str] = typer.Option(None, "--log-to", help=_help("log_to")),
        seed: Optional[int] = typer.Option(None, "--seed", help=_help("seed")),
        eval_at_end: Optional[bool] = typer.Option(None, "--eval/--no-eval", help=_help("eval_at_end")),
        estimate: bool = typer.Option(False, "--estimate", help="Only print how long the run will take and how much "
                                      "memory it needs on this machine, and exit."),
        resume: bool = typer.Option(False, "--resume", help="Continue the newest interrupted run exactly where it stopped (with its own config)."),
        dataset: Optional[str] = typer.Option(None, "--dataset", help="Train on this Hugging Face Hub dataset "
                                              "(owner/name, as 'botsmith push-dataset' makes them): it "
                                              "replaces data/dataset first."),
    ) -> None:
        """Fine-tune the bot's base model on its dataset; writes runs/RUN-ID/ with best/, final/ and last/."""
        from botsmith.bot_folder import open_bot
        from botsmith.errors import BotsmithError
        from botsmith.train import train

        folder = open_bot(bot)
        overrides = dict(method=method, max_steps=max_steps, epochs=epochs, learning_rate=learning_rate,
                         batch_size=batch_size, grad_accum=grad_accum, max_length=max_length, lora_r=lora_r,
                         eval_every=eval_every, device=device, precision=precision, packing=packing,
                         gradient_checkpointing=gradient_checkpointing, cpu_kernels=cpu_kernels, log_to=log_to,
                         seed=seed, eval_at_end=eval_at_end)
        given = [name for name, value in overrides.items() if value is not None]
        if resume and given:
            raise BotsmithError(f"--resume continues a run with its own config, so it takes no other options "
                                f"(got --{given[0].replace('_', '-')})")
        config = folder.config().with_overrides("train", **overrides)
        if dataset:
            from botsmith.dataset.hub import fetch_hub_dataset

            fetch_hub_dataset(folder.root, dataset, log=lambda line: typer.echo(line, err=True))
        if estimate:
            from botsmith.train.estimate import estimate_for_bot

            found = estimate_for_bot(folder, config, log=lambda line: typer.echo(line, err=True))
            if found is None:
                raise BotsmithError(f"{folder.dataset_dir / 'train.jsonl'}: no dataset yet", hint="run: botsmith build")
            typer.echo("\n".join(found.lines()))
            return
        result = train(folder.root, config, resume=resume, log=lambda line: typer.echo(line, err=True))
        if os.environ.get("RANK", "0") == "0":  # under torchrun, one answer
            typer.echo(str(result.best_dir))

    @app.command("runs")
    def runs(bot: str = typer.Argument(".", help="The bot's folder.")) -> None:
        """List the bot's training runs with their status and best validation loss."""
        from botsmith.bot_folder import open_bot
        from botsmith.runs import list_runs

        folder = open_bot(bot)
        found = list_runs(folder.runs_dir)
        if not found:
            typer.echo(f"No runs in {folder.runs_dir} yet (start one with: botsmith train).")
            return
        typer.echo(f"{'run':<20} {'status':<12} {'steps':>6} {'best val loss':>14}  checkpoints")
        for run in found:
            loss = f"{run.best_val_loss:.4f}" if run.best_val_loss is not None else "-"
            saved = " ".join(name for name in ("best", "final", "last") if (run.path / name).is_dir())
            typer.echo(f"{run.run_id:<20} {run.status:<12} {run.steps if run.steps is not None else '-':>6} "
                       f"{loss:>14}  {saved}")
