"""Dataset export: Hugging Face `datasets` DatasetDict, OpenAI fine-tuning JSONL, ShareGPT JSONL.

A registry by name; each writer turns a built dataset (train + validation records)
into a folder. Conversation formats (openai, sharegpt) need conversation records;
prompt/completion pairs become a user turn and the assistant's continuation; plain
text fragments only go to `hf`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botsmith.atomic import atomic_dir
from botsmith.bot_folder import open_bot
from botsmith.chat_format import turn_text
from botsmith.dataset.build import TRAIN, VALIDATION
from botsmith.errors import BotsmithError, missing_dependency
from botsmith.records import read_records

Writer = Callable[[dict[str, list[dict[str, Any]]], Path], None]
EXPORT_FORMATS: dict[str, Writer] = {}
OPENAI_NAME = re.compile(r"[^A-Za-z0-9_-]")


def register_format(name: str) -> Callable[[Writer], Writer]:
    def add(writer: Writer) -> Writer:
        EXPORT_FORMATS[name] = writer
        return writer
    return add


def export_dataset(bot_dir: str | Path, format: str, out: str | Path | None = None, *, log=print) -> Path:
    """Write the bot's built dataset in `format` (hf, openai, sharegpt) to `out` (default exports/dataset-FORMAT)."""
    writer = EXPORT_FORMATS.get(format)
    if writer is None:
        raise BotsmithError(f"unknown dataset export format '{format}'", hint=f"use one of {', '.join(EXPORT_FORMATS)}")
    folder = open_bot(bot_dir)
    if not (folder.dataset_dir / TRAIN).is_file():
        raise BotsmithError(f"no dataset in {folder.dataset_dir}", hint="run 'botsmith build' first")
    splits = {"train": read_records(folder.dataset_dir / TRAIN)}
    validation = folder.dataset_dir / VALIDATION
    splits["validation"] = read_records(validation) if validation.is_file() else []
    target = Path(out) if out is not None else folder.exports_dir / f"dataset-{format}"
    if target.exists() and not target.is_dir():
        raise BotsmithError(f"{target} exists and is not a folder", hint="choose another --out")
    with atomic_dir(target) as tmp:
        writer(splits, tmp)
    log(f"Exported {sum(map(len, splits.values()))} examples as {format} to {target}")
    return target


def _conversation(record: dict[str, Any], where: str) -> list[dict[str, Any]]:
    if "messages" in record:
        return record["messages"]
    if "prompt" in record:
        return [{"role": "user", "content": record["prompt"]}, {"role": "assistant", "content": record["completion"]}]
    raise BotsmithError(f"{where} is a plain text fragment; this format holds conversations only",
                        hint="export fragments with --format hf, or set [dataset] prompt_completion = true")


def _write_lines(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


@register_format("openai")
def write_openai(splits: dict[str, list[dict[str, Any]]], folder: Path) -> None:
    """OpenAI chat fine-tuning files: {"messages": [{role, content, name?}]}; names limited to [A-Za-z0-9_-]."""
    for split, records in splits.items():
        rows = []
        for index, record in enumerate(records, start=1):
            messages = []
            for message in _conversation(record, f"{split} example {index}"):
                item = {"role": message["role"], "content": message["content"]}
                if message.get("name"):
                    item["name"] = OPENAI_NAME.sub("_", message["name"])[:64]
                messages.append(item)
            rows.append({"messages": messages})
        _write_lines(folder / f"{split}.jsonl", rows)


@register_format("sharegpt")
def write_sharegpt(splits: dict[str, list[dict[str, Any]]], folder: Path) -> None:
    """ShareGPT as Axolotl and LLaMA-Factory read it: {"conversations": [{"from": system|human|gpt, "value"}]}.

    ShareGPT has no speaker names, so a named user turn reads "Name: text", as botsmith's chat format renders it.
    """
    speaker = {"system": "system", "user": "human", "assistant": "gpt"}
    for split, records in splits.items():
        rows = []
        for index, record in enumerate(records, start=1):
            turns = []
            for message in _conversation(record, f"{split} example {index}"):
                turns.append({"from": speaker[message["role"]], "value": turn_text(message)})
            rows.append({"conversations": turns})
        _write_lines(folder / f"{split}.jsonl", rows)


@register_format("hf")
def write_hf(splits: dict[str, list[dict[str, Any]]], folder: Path) -> None:
    """A `datasets.DatasetDict` saved with save_to_disk: columns text / prompt+completion / messages, and meta as JSON."""
    try:
        import datasets
    except ImportError:
        raise missing_dependency("datasets") from None
    columns = _columns([r for records in splits.values() for r in records])
    features = datasets.Features({name: feature for name, feature in _features(datasets).items() if name in columns})
    result = datasets.DatasetDict({
        split: datasets.Dataset.from_list([_row(record, columns) for record in records], features=features)
        for split, records in splits.items()
    })
    result.save_to_disk(str(folder))


def _columns(records: list[dict[str, Any]]) -> list[str]:
    present = set()
    for record in records:
        present.update(key for key in ("text", "prompt", "completion", "messages") if key in record)
    return [*sorted(present), "meta"]


def _features(datasets) -> dict[str, Any]:
    message = {"role": datasets.Value("string"), "content": datasets.Value("string"), "name": datasets.Value("string")}
    return {"text": datasets.Value("string"), "prompt": datasets.Value("string"),
            "completion": datasets.Value("string"), "messages": [message], "meta": datasets.Value("string")}


def _row(record: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {name: record.get(name) for name in columns if name != "meta"}
    if "messages" in row and row["messages"] is not None:
        row["messages"] = [{"role": m["role"], "content": m["content"], "name": m.get("name")} for m in row["messages"]]
    row["meta"] = json.dumps(record.get("meta", {}), ensure_ascii=False)
    return row
