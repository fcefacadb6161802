"""What a GGUF export records about the weights it was made from: `botsmith_export.json` beside the .gguf.

    {"format": "gguf", "quant": "q8_0", "checkpoint": "runs/20261205-101010/best",
     "verified": true, "weights": {"adapter_model.safetensors": [size, mtime_ns], ...}}

`verified` is true where the export's verification ran, llama.cpp's own check included.
`weights` is the fingerprint of the folder the weights came from (a checkpoint folder, or the
base model's folder for `--checkpoint base`): each file's size and modification time, as
make judges freshness. Chat and serve read it to tell whether an export holds exactly the
checkpoint they are about to talk to (`[generate] backend = "auto"`); retraining, resuming
or replacing that checkpoint rewrites its files and so makes the export stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from botsmith.atomic import write_json

RECORD_NAME = "botsmith_export.json"


def weights_fingerprint(folder: Path) -> dict[str, list[int]]:
    """{file name: [size, mtime_ns]} for the files directly in `folder` (where checkpoints keep their weights)."""
    fingerprint = {}
    for path in sorted(Path(folder).iterdir()):
        if path.is_file():
            stat = path.stat()
            fingerprint[path.name] = [stat.st_size, stat.st_mtime_ns]
    return fingerprint


def write_export_record(export_dir: Path, *, quant: str, checkpoint: str, weights_dir: Path, verified: bool) -> Path:
    path = export_dir / RECORD_NAME
    write_json(path, {"format": "gguf", "quant": quant, "checkpoint": checkpoint, "verified": verified,
                      "weights": weights_fingerprint(weights_dir)})
    return path


def read_export_record(export_dir: Path) -> dict | None:
    """The record in `export_dir`, or None where there is none (an older botsmith exported it) or it is unreadable."""
    try:
        record = json.loads((export_dir / RECORD_NAME).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None
