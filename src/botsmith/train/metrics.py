"""Metrics and samples as JSONL in the run folder, and optionally TensorBoard or Weights & Biases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botsmith.atomic import write_jsonl
from botsmith.errors import missing_dependency


class Metrics:
    """Appends one JSON line per logged step or evaluation; a resumed run drops lines past its step."""

    def __init__(self, run_dir: Path, log_to: str = "none", config: dict[str, Any] | None = None) -> None:
        self.path = run_dir / "metrics.jsonl"
        self.samples_path = run_dir / "samples.jsonl"
        self.tracker = _tracker(log_to, run_dir, config or {})

    def truncate_after(self, step: int) -> None:
        """Forget lines an interrupted run wrote after its last checkpoint, and a last line it was cut off in."""
        for path in (self.path, self.samples_path):
            if path.is_file():
                kept = [row for row in _rows(path) if row.get("step", 0) <= step]
                write_jsonl(path, kept)

    def write(self, row: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        if self.tracker is not None:
            self.tracker.log({k: v for k, v in row.items() if k != "step" and isinstance(v, (int, float))}, row["step"])

    def sample(self, step: int, prompt: str, text: str) -> None:
        with self.samples_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, "prompt": prompt, "text": text}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.close()


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "metrics.jsonl"
    return _rows(path) if path.is_file() else []


def _rows(path: Path) -> list[dict[str, Any]]:
    """The file's JSON objects; a line that does not parse (a run killed mid-write) is left out."""
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


class _TensorBoard:
    def __init__(self, run_dir: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise missing_dependency("tensorboard") from None
        self.writer = SummaryWriter(str(run_dir / "tensorboard"))

    def log(self, values: dict[str, float], step: int) -> None:
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        self.writer.close()


class _Wandb:
    def __init__(self, run_dir: Path, config: dict[str, Any]) -> None:
        try:
            import wandb
        except ImportError:
            raise missing_dependency("wandb") from None
        self.run = wandb.init(project="botsmith", name=run_dir.name, dir=str(run_dir), config=config)

    def log(self, values: dict[str, float], step: int) -> None:
        self.run.log(values, step=step)

    def close(self) -> None:
        self.run.finish()


def _tracker(log_to: str, run_dir: Path, config: dict[str, Any]):
    if log_to == "tensorboard":
        return _TensorBoard(run_dir)
    if log_to == "wandb":
        return _Wandb(run_dir, config)
    return None
