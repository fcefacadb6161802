"""`compare_runs`: several runs' evaluations in one table (each run evaluated first when it has no report)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from botsmith.bot_folder import open_bot
from botsmith.errors import BotsmithError
from botsmith.eval.api import evaluate
from botsmith.eval.summary import marker_moves

COLUMNS = ("run", "steps", "val loss", "perplexity", "leaks", "identity", "asked if AI: no", "Delta",
           "markers nearer/further", "words/reply")


def compare_runs(bot_dir: str | Path, run_ids: list[str], *, log: Callable[[str], None] = print,
                 **options: Any) -> list[dict[str, Any]]:
    """Each run's report (runs/<id>/eval/report.json, made now if missing or sampled otherwise than `sampling`
    asks), in the order given."""
    folder = open_bot(bot_dir)
    asked = {name: value for name, value in (options.get("sampling") or {}).items() if value is not None}
    reports = []
    for run_id in run_ids:
        run = folder.runs_dir / run_id
        if not (run / "best").is_dir():
            known = ", ".join(path.parent.name for path in sorted(folder.runs_dir.glob("*/best"))[-5:]) or "none"
            raise BotsmithError(f"run '{run_id}' has no best/ checkpoint in {folder.runs_dir}",
                                hint=f"runs with one: {known} (botsmith runs lists them)")
        report = _read(run / "eval" / "report.json")
        sampled_as_asked = report is not None and all(report.get("sampling", {}).get(name) == value
                                                      for name, value in asked.items())
        if not sampled_as_asked or report.get("quick"):
            report = evaluate(folder.root, checkpoint=str(run / "best"), log=log, **options).data
        reports.append(report)
    return reports


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == 1 else None


def comparison_rows(reports: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    rows = []
    for report in reports:
        checkpoint, ppl, after = report["checkpoint"], report["perplexity"], report["scores"]["after"]
        identity = f"{after['identity']}/{after['identity_probes']}" if "identity" in after else "-"
        leaks = f"{after['persona_leaks']}/{after['replies']}" if "persona_leaks" in after else "-"
        denies = f"{after['denies_ai']}/{after['persona_probes']}" if "denies_ai" in after else "-"  # not asked before 7 Dec
        rows.append((str(checkpoint["run"] or checkpoint["path"]), str(checkpoint.get("step") or "-"),
                     _num(checkpoint.get("val_loss"), 4),
                     f"{ppl['before']['perplexity']:.1f} -> {ppl['after']['perplexity']:.1f}", leaks, identity, denies,
                     _num(after.get("delta"), 3), _moves(report["scores"]), _num(after.get("mean_words"), 1)))
    return rows


def comparison_table(reports: list[dict[str, Any]]) -> str:
    body = comparison_rows(reports)
    widths = [max(len(row[i]) for row in [COLUMNS, *body]) for i in range(len(COLUMNS))]
    render = lambda row: "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()  # noqa: E731
    return "\n".join([render(COLUMNS), render(tuple("-" * w for w in widths)), *(render(row) for row in body)])


def _moves(scores: dict[str, Any]) -> str:
    moves = marker_moves(scores)
    return "-" if moves is None else f"{moves[0]}/{moves[1]} of {moves[2]}"


def _num(value: Any, digits: int) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) else "-"
