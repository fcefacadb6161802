"""Run folders: where a training run keeps everything, and how later stages find it.

    runs/<run-id>/                 run-id = YYYYmmdd-HHMMSS (sortable: the newest is last)
      config.toml                  the resolved config the run used
      dataset.json                 fingerprint of the dataset (sha256 of each file, counts)
      metrics.jsonl                one line per logged step / evaluation
      samples.jsonl                generations from fixed prompts during training
      train.log                    what the progress bar said, as text
      summary.json                 status (running|finished|interrupted|failed), best_val_loss, steps
      loss.png                     train and validation loss
      best/ final/ last/           checkpoints (see botsmith.models.load for their content)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from botsmith.errors import BotsmithError

CHECKPOINT_NAMES = ("best", "final", "last")


@dataclass(frozen=True)
class RunInfo:
    path: Path
    status: str
    best_val_loss: float | None
    steps: int | None

    @property
    def run_id(self) -> str:
        return self.path.name


def list_runs(runs_dir: Path) -> list[RunInfo]:
    if not runs_dir.is_dir():
        return []
    runs = []
    for folder in sorted(runs_dir.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        summary = _read_summary(folder)
        runs.append(RunInfo(folder, summary.get("status", "unknown"), summary.get("best_val_loss"), summary.get("steps")))
    return runs


def is_training(run_dir: Path) -> bool:
    """True while the process that started the run is still at it (on this machine)."""
    import os
    import socket

    summary = _read_summary(run_dir)
    if summary.get("status") != "running":
        return False
    pid, host = summary.get("pid"), summary.get("host")
    if not isinstance(pid, int) or (host and host != socket.gethostname()):
        return True  # no way to tell: believe the status
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_summary(folder: Path) -> dict:
    try:
        return json.loads((folder / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def resolve_checkpoint(runs_dir: Path, which: str = "best") -> Path:
    """`best`, `final` or `last` of the newest run that has it, or an explicit folder: as given, or inside
    the bot folder (`runs/ID/final` works from anywhere, as the docs write it). A run (its folder or its id)
    means its `best`, as `botsmith eval --against RUN` does."""
    if which not in CHECKPOINT_NAMES:
        for path in (Path(which), runs_dir.parent / which, runs_dir / which):
            if path.is_dir():
                return _run_best(path) if path.resolve().parent == runs_dir.resolve() else path
        raise BotsmithError(f"checkpoint '{which}' is neither best, final, last nor a folder",
                            hint=f"give best, final, last, or a checkpoint folder such as runs/<run id>/best "
                                 f"(runs are in {runs_dir})")
    for run in reversed(list_runs(runs_dir)):
        candidate = run.path / which
        if candidate.is_dir():
            return candidate
    raise BotsmithError(f"no '{which}' checkpoint in {runs_dir}", hint="train the bot first: botsmith train BOT")


def _run_best(run: Path) -> Path:
    if not (run / "best").is_dir():
        raise BotsmithError(f"run {run.name} has no best checkpoint yet",
                            hint=f"give one of its checkpoint folders ({run}/final or last), or let it reach its "
                                 "first evaluation")
    return run / "best"
