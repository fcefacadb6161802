"""`botsmith eval`: is the trained bot better than the base model, and does it stay in character?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from botsmith.cli.talk import OPTS
from botsmith.eval.api import DEFAULT_PROBES, MAX_NEW_TOKENS
from botsmith.eval.probes import SAMPLE_SEED


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_)


def eval_(
    bot: str = typer.Argument(".", help="The bot's folder."),
    run_ids: Optional[list[str]] = typer.Argument(None, metavar="[RUN]...", help="With --runs: the runs to compare."),
    checkpoint: str = typer.Option("best", "--checkpoint", "-c", help="best | final | last | RUN-ID (its best) | PATH "
                                                                     "(e.g. runs/RUN-ID/final): what to evaluate "
                                                                     "(best, final, last: of the newest run that has it)."),
    against: str = typer.Option("base", "--against", help="base | RUN: compare with the base model or another run's "
                                                          "best checkpoint."),
    runs: bool = typer.Option(False, "--runs", help="Compare runs in one table: botsmith eval BOT --runs A B ..."),
    probes: int = typer.Option(DEFAULT_PROBES, "--probes", min=0, max=200, help="Held-out examples to answer, besides the three "
                                                                   "identity questions (0: none); past the validation "
                                                                   "split's size each is answered again, with another "
                                                                   "seed."),
    greedy: bool = typer.Option(False, "--greedy/--no-greedy", help="Also answer each held-out probe greedily (the "
                                                                    "identity questions always are)."),
    sampled: bool = typer.Option(True, "--sampled/--no-sampled", help="Answer each probe with the bot's sampling "
                                                                      "settings, as chat does (fixed seeds); "
                                                                      "--no-sampled: greedy replies only."),
    max_new_tokens: int = typer.Option(MAX_NEW_TOKENS, "--max-new-tokens", min=1, max=2048, help="Longest reply per probe."),
    seed: int = typer.Option(SAMPLE_SEED, "--seed", help="First sampling seed: another one draws other replies "
                                                         "(Delta can move with the draw: docs/eval.md)."),
    temperature: Optional[float] = OPTS["temperature"], top_p: Optional[float] = OPTS["top_p"],
    top_k: Optional[int] = OPTS["top_k"], min_p: Optional[float] = OPTS["min_p"],
    epsilon_cutoff: Optional[float] = OPTS["epsilon_cutoff"], repetition_penalty: Optional[float] = OPTS["repetition_penalty"],
    as_json: bool = typer.Option(False, "--json", help="Print report.json's content instead of the table."),
) -> None:
    """Evaluate a trained bot: held-out perplexity before and after, replies side by side, staying in character.

    Writes runs/RUN-ID/eval/report.json and report.html (plots embedded) and prints a summary table. Both models
    sample as the bot's [generate] says; the sampling flags replace it for this eval (e.g. --temperature 1.0).
    """
    from botsmith.errors import BotsmithError
    from botsmith.eval import evaluate, summary
    from botsmith.eval.compare import compare_runs, comparison_table

    log = lambda line: typer.echo(line, err=True)  # noqa: E731
    sampling = dict(temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p, epsilon_cutoff=epsilon_cutoff,
                    repetition_penalty=repetition_penalty)
    options = dict(probes=probes, greedy=greedy, sampled=sampled, max_new_tokens=max_new_tokens, seed=seed,
                   sampling=sampling)
    if run_ids and not runs:
        raise BotsmithError(f"unexpected argument '{run_ids[0]}'", hint="to compare runs: botsmith eval BOT --runs A B")
    if runs:
        bot, names = _bot_and_runs(bot, run_ids or [])
        reports = compare_runs(bot, names, log=log, **options)
        typer.echo(json.dumps(reports, ensure_ascii=False) if as_json else comparison_table(reports))
        return
    report = evaluate(bot, checkpoint=checkpoint, against=against, log=log, **options)
    if as_json:
        typer.echo(json.dumps(report.data, ensure_ascii=False))
        return
    typer.echo(report.table())
    typer.echo(f"\n{report.summary_line}\nReport: {report.path / 'report.html'}")
    for tip in summary.advice(report.data, bot):
        typer.echo(f"Next: {tip}")


def _bot_and_runs(bot: str, run_ids: list[str]) -> tuple[str, list[str]]:
    """`eval --runs A B` (bot '.') or `eval BOT --runs A B`; ids may also be comma-separated."""
    from botsmith.config import CONFIG_NAME
    from botsmith.errors import BotsmithError

    if not (Path(bot) / CONFIG_NAME).is_file() and (Path(".") / CONFIG_NAME).is_file():
        bot, run_ids = ".", [bot, *run_ids]
    names = [name for item in run_ids for name in item.split(",") if name]
    if len(names) < 1:
        raise BotsmithError("--runs needs the run ids to compare", hint="botsmith runs lists them")
    return bot, names
