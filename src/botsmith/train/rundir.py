"""Creating, describing and finding run folders (layout: botsmith.runs)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from botsmith.atomic import restore_interrupted_swap, write_json, write_text
from botsmith.config import BotConfig, validate_config
from botsmith.errors import BotsmithError
from botsmith.runs import list_runs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class RunFolder:
    path: Path

    def config(self) -> BotConfig:
        path = self.path / "config.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise BotsmithError(f"{path}: cannot read the run's config ({error})",
                                hint="start a new run with: botsmith train") from None
        return validate_config(data, str(path))

    def check_dataset(self, fingerprint: dict[str, Any]) -> None:
        try:
            saved = json.loads((self.path / "dataset.json").read_text())
        except (OSError, json.JSONDecodeError):
            saved = {}
        if saved.get("sha256") != fingerprint["sha256"]:
            raise BotsmithError(f"the dataset changed since run {self.path.name} started, so it cannot be resumed exactly",
                                hint="start a new run with: botsmith train")

    def write_summary(self, status: str, state: Any) -> None:
        summary = {"status": status, **asdict(state), "steps": state.step, "updated": time.strftime("%Y-%m-%dT%H:%M:%S")}
        write_json(self.path / "summary.json", summary)


def dataset_fingerprint(dataset_dir: Path) -> dict[str, Any]:
    """sha256 and line count of each dataset file, and one digest over all of them."""
    files = {}
    for name in ("train.jsonl", "validation.jsonl"):
        path = dataset_dir / name
        if path.is_file():
            data = path.read_bytes()
            files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "records": data.count(b"\n"), "bytes": len(data)}
    overall = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return {"sha256": overall, "files": files}


def create_run(runs_dir: Path, config: BotConfig, fingerprint: dict[str, Any]) -> RunFolder:
    from botsmith.config import render_config

    run_id = time.strftime("%Y%m%d-%H%M%S")
    path = runs_dir / run_id
    suffix = 1
    while path.exists():
        suffix += 1
        path = runs_dir / f"{run_id}-{suffix}"
    path.mkdir(parents=True)
    write_text(path / "config.toml", render_config(config))
    write_json(path / "dataset.json", fingerprint)
    # The pid tells a later command whether "running" is still true (a killed run never rewrites its status).
    write_json(path / "summary.json", {"status": "running", "steps": 0, "best_val_loss": None, "pid": os.getpid(),
                                       "host": socket.gethostname()})
    return RunFolder(path)


def find_resumable(runs_dir: Path) -> RunFolder:
    """The newest run, when it stopped before finishing and left a last/ checkpoint."""
    runs = list_runs(runs_dir)
    if not runs:
        raise BotsmithError(f"no run to resume in {runs_dir}", hint="start one with: botsmith train")
    newest = runs[-1]
    restore_interrupted_swap(newest.path / "last")
    if newest.status == "finished":
        raise BotsmithError(f"the newest run ({newest.run_id}) finished; there is nothing to resume",
                            hint="start a new run with: botsmith train")
    if not (newest.path / "last").is_dir():
        raise BotsmithError(f"run {newest.run_id} stopped before its first checkpoint, so there is nothing to resume",
                            hint="start a new run with: botsmith train")
    return RunFolder(newest.path)
