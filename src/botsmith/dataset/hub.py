"""A dataset from the Hugging Face Hub as the bot's dataset: `botsmith train --dataset you/oz-fragments`.

The repo is one `botsmith push-dataset` made (or any dataset repo laid out the same):
train.jsonl, optionally validation.jsonl and stats.json, in botsmith's record format. Its
files replace data/dataset/ as one folder swap, after every record is checked, so a bad or
half-downloaded dataset never replaces a good one. The Hugging Face cache is used first, so
a dataset fetched once is there offline too.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from botsmith.atomic import atomic_dir
from botsmith.bot_folder import open_bot
from botsmith.errors import BotsmithError
from botsmith.models.resolve import HUB_ID, hub_offline
from botsmith.records import read_records

DATASET_FILES = ("train.jsonl", "validation.jsonl", "stats.json")
SOURCE_FILE = "hub_source.json"  # which repo and commit data/dataset came from


def fetch_hub_dataset(bot_dir: str | Path, repo: str, *, log: Callable[[str], None] = print) -> Path:
    """Download dataset repo `repo` into the bot's data/dataset (replacing it); returns that folder."""
    folder = open_bot(bot_dir)
    if not HUB_ID.match(repo):
        raise BotsmithError(f"'{repo}' is not a Hub dataset id", hint="name it as owner/name, e.g. you/oz-fragments")
    snapshot = _snapshot(repo, log)
    found = {name: _find(snapshot, name) for name in DATASET_FILES}
    if found["train.jsonl"] is None:
        raise BotsmithError(f"the Hub dataset {repo} has no train.jsonl",
                            hint="push one with 'botsmith push-dataset', or use a repo laid out the same")
    counts = {name: len(read_records(path)) for name, path in found.items() if path and name.endswith(".jsonl")}
    with atomic_dir(folder.dataset_dir) as tmp:
        for name, path in found.items():
            if path is not None:
                shutil.copyfile(path, tmp / name)
        (tmp / SOURCE_FILE).write_text(json.dumps({"hub_dataset": repo, "revision": snapshot.name}) + "\n")
    log(f"Dataset {repo}: {counts['train.jsonl']} training and {counts.get('validation.jsonl', 0)} validation "
        f"examples in {folder.dataset_dir}")
    return folder.dataset_dir


def _find(snapshot: Path, name: str) -> Path | None:
    for candidate in (snapshot / name, snapshot / "data" / name):
        if candidate.is_file():
            return candidate
    return None


def _snapshot(repo: str, log: Callable[[str], None]) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    patterns = ["*.jsonl", "*.json"]
    try:
        return Path(snapshot_download(repo, repo_type="dataset", allow_patterns=patterns, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        pass
    if hub_offline():
        raise BotsmithError(f"the Hub dataset {repo} is not in the Hugging Face cache and HF_HUB_OFFLINE is set",
                            hint="fetch it once while online, or build the dataset from sources: botsmith build")
    log(f"Downloading the dataset {repo} from the Hugging Face Hub...")
    try:
        return Path(snapshot_download(repo, repo_type="dataset", allow_patterns=patterns, etag_timeout=10,
                                      endpoint=os.environ.get("HF_ENDPOINT") or None))
    except RepositoryNotFoundError:
        raise BotsmithError(f"no dataset {repo} on the Hugging Face Hub (private, or misspelled?)") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        reason = str(error).splitlines()[0][:160]
        raise BotsmithError(f"cannot reach the Hugging Face Hub for the dataset {repo} ({reason})",
                            hint="check your connection, or build the dataset from sources: botsmith build") from None
