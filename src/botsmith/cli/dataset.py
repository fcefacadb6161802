"""`botsmith build`, `botsmith inspect` and `botsmith dataset export`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from botsmith.config.chats import ChatsSection
from botsmith.config.dataset import DatasetSection

def _help(name: str, section=DatasetSection) -> str:
    return section.model_fields[name].description or ""


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("inspect")(inspect)
    dataset = typer.Typer(help="Datasets: export a built dataset to other tools' formats.", no_args_is_help=True)
    app.add_typer(dataset, name="dataset")
    dataset.command("export")(export_)


def build(
    bot: Path = typer.Argument(Path("."), help="The bot's folder."),
    character: Optional[str] = typer.Option(None, "--character", "-c", help=_help("character")),
    quotes: Optional[str] = typer.Option(None, "--quotes", help=_help("quotes")),
    fragment_tokens: Optional[int] = typer.Option(None, "--fragment-tokens", help=_help("fragment_tokens")),
    overlap_tokens: Optional[int] = typer.Option(None, "--overlap-tokens", help=_help("overlap_tokens")),
    prompt_completion: Optional[bool] = typer.Option(None, "--prompt-completion/--fragments",
                                                     help=_help("prompt_completion")),
    window_turns: Optional[int] = typer.Option(None, "--window-turns", help=_help("window_turns")),
    pairs: Optional[bool] = typer.Option(None, "--pairs/--no-pairs", help=_help("pairs")),
    context: Optional[bool] = typer.Option(None, "--context/--no-context", help=_help("context")),
    validation_fraction: Optional[float] = typer.Option(None, "--validation-fraction", help=_help("validation_fraction")),
    split_by: Optional[str] = typer.Option(None, "--split-by", help=_help("split_by")),
    seed: Optional[int] = typer.Option(None, "--seed", help=_help("seed")),
    dedup_threshold: Optional[float] = typer.Option(None, "--dedup-threshold", help=_help("dedup_threshold")),
    me: Optional[list[str]] = typer.Option(None, "--me", help="Chat mode, repeatable: " + _help("me", ChatsSection)),
    session_gap: Optional[float] = typer.Option(None, "--session-gap", help=_help("session_gap_minutes", ChatsSection)),
    merge_window: Optional[float] = typer.Option(None, "--merge-window", help=_help("merge_window_minutes", ChatsSection)),
    export: Optional[str] = typer.Option(None, "--export", help="Also export the dataset: hf, openai or sharegpt."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Export folder (default: BOT/exports/dataset-FORMAT)."),
) -> None:
    """Turn the bot's cleaned sources into data/dataset/{train,validation}.jsonl and stats.json."""
    from botsmith.bot_folder import open_bot
    from botsmith.dataset import build_dataset, export_dataset

    config = open_bot(bot).config().with_overrides(
        "dataset", character=character, quotes=quotes, fragment_tokens=fragment_tokens,
        overlap_tokens=overlap_tokens, prompt_completion=prompt_completion, window_turns=window_turns,
        pairs=pairs, context=context, validation_fraction=validation_fraction, split_by=split_by, seed=seed,
        dedup_threshold=dedup_threshold)
    config = config.with_overrides("chats", me=me or None, session_gap_minutes=session_gap,
                                   merge_window_minutes=merge_window)
    log = lambda line: typer.echo(line, err=True)  # noqa: E731
    result = build_dataset(bot, config, log=log)
    typer.echo(_summary(result))
    if export:
        typer.echo(str(export_dataset(bot, export, out, log=log)))


def inspect(
    bot: Path = typer.Argument(Path("."), help="The bot's folder."),
    examples: int = typer.Option(3, "--examples", "-n", min=0, help="Random examples to show in their context."),
    seed: int = typer.Option(0, "--seed", help="Seed for picking the examples."),
) -> None:
    """Show the dataset: counts, token lengths, examples in their source context, and warnings."""
    from botsmith.dataset import inspect_dataset

    typer.echo(inspect_dataset(bot, examples=examples, seed=seed).render())


def export_(
    format: str = typer.Argument(..., help="hf (datasets DatasetDict), openai (chat fine-tuning JSONL) or sharegpt."),
    bot: Path = typer.Option(Path("."), "--bot", "-b", help="The bot's folder."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Export folder (default: BOT/exports/dataset-FORMAT)."),
) -> None:
    """Write the built dataset (train + validation) in another tool's format."""
    from botsmith.dataset import export_dataset

    typer.echo(str(export_dataset(bot, format, out, log=lambda line: typer.echo(line, err=True))))


def _summary(result) -> str:
    lines = [result.counts_line()]
    for source, info in result.stats.get("sources", {}).items():
        detail = ", ".join(f"{key} {info[key]}" for key in ("type", "records", "utterances", "turns", "pairs", "windows")
                           if key in info)
        lines.append(f"  {source}: {detail}")
    lines.append(str(result.dataset_dir))
    return "\n".join(lines)
