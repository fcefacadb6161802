"""The one record format every extractor writes and every later stage reads.

A dataset is JSONL, one record per line, of exactly one of three kinds:

    {"text": "It was a bright cold day ...", "meta": {...}}              fragment
    {"prompt": "It was a bright", "completion": " cold day ...", "meta": {...}}
    {"messages": [{"role": "user", "content": "...", "name": "Jane"},
                  {"role": "assistant", "content": "...", "rejected": ["..."]}], "meta": {...}}

`meta` is optional provenance: `source` (the cleaned source id or file), `start`/`end`
(character offsets into that source's cleaned text), and `group` (the unit the
train/validation split keeps together: a chapter, a book, a chat session).
An assistant turn may list `rejected` replies: what the bot must not say there.
Training pushes down the first token where each one parts from the turn's content
(docs/train.md, "What the loss is taken on"). Chat
templates are never applied here: records hold plain turns, and the template is
applied once, at tokenization (see `botsmith.chat_format`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

from botsmith.errors import BotsmithError

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = ("system", "user", "assistant")
RecordKind = Literal["text", "prompt_completion", "messages"]


class Turn(TypedDict):
    role: Role
    content: str
    name: NotRequired[str]
    rejected: NotRequired[list[str]]  # assistant turns: replies the bot must not give here


class Meta(TypedDict, total=False):
    source: str
    start: int
    end: int
    group: str


def fragment(text: str, **meta: Any) -> dict[str, Any]:
    return _with_meta({"text": text}, meta)


def prompt_completion(prompt: str, completion: str, **meta: Any) -> dict[str, Any]:
    return _with_meta({"prompt": prompt, "completion": completion}, meta)


def conversation(messages: list[Turn], **meta: Any) -> dict[str, Any]:
    return _with_meta({"messages": messages}, meta)


def turn(role: Role, content: str, name: str | None = None) -> Turn:
    result: Turn = {"role": role, "content": content}
    if name:
        result["name"] = name
    return result


def _with_meta(record: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    meta = {key: value for key, value in meta.items() if value is not None}
    if meta:
        record["meta"] = meta
    return record


def record_kind(record: dict[str, Any]) -> RecordKind:
    if "messages" in record:
        return "messages"
    if "prompt" in record:
        return "prompt_completion"
    return "text"


def validate_record(record: Any, where: str) -> dict[str, Any]:
    """Check one record's shape; `where` ("train.jsonl line 7") goes into the error."""
    if not isinstance(record, dict):
        raise BotsmithError(f"{where}: expected a JSON object, got {type(record).__name__}")
    keys = {"text", "prompt", "messages"} & record.keys()
    if keys == {"text"}:
        _require_str(record, "text", where)
    elif keys == {"prompt"}:
        _require_str(record, "prompt", where)
        _require_str(record, "completion", where)
    elif keys == {"messages"}:
        _validate_messages(record["messages"], where)
    else:
        raise BotsmithError(
            f"{where}: a record needs exactly one of 'text', 'prompt'+'completion' or 'messages' (found {sorted(keys) or 'none'})"
        )
    if "meta" in record and not isinstance(record["meta"], dict):
        raise BotsmithError(f"{where}: field 'meta' must be an object")
    return record


def _require_str(record: dict[str, Any], key: str, where: str) -> None:
    if not isinstance(record.get(key), str):
        raise BotsmithError(f"{where}: field '{key}' must be a string")


def _validate_messages(messages: Any, where: str) -> None:
    if not isinstance(messages, list) or not messages:
        raise BotsmithError(f"{where}: field 'messages' must be a non-empty list of turns")
    for index, item in enumerate(messages):
        if not isinstance(item, dict) or item.get("role") not in ROLES or not isinstance(item.get("content"), str):
            raise BotsmithError(
                f"{where}: messages[{index}] must be {{'role': one of {', '.join(ROLES)}, 'content': string}}"
            )
        if "rejected" in item:
            _validate_rejected(item, f"{where}: messages[{index}].rejected")


def _validate_rejected(item: dict[str, Any], where: str) -> None:
    rejected = item["rejected"]
    if item["role"] != "assistant":
        raise BotsmithError(f"{where}: only an assistant turn can have rejected replies")
    if not isinstance(rejected, list) or not all(isinstance(text, str) and text for text in rejected):
        raise BotsmithError(f"{where}: must be a list of non-empty strings")
    if item["content"] in rejected:
        raise BotsmithError(f"{where}: the turn's own content is among its rejected replies")


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) for each non-blank line; bad JSON names the line."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise BotsmithError(f"{path}: cannot read ({error.strerror})") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                raise BotsmithError(f"{path} line {number}: not valid JSON ({error.msg})") from None


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a dataset file."""
    return [validate_record(obj, f"{Path(path).name} line {number}") for number, obj in read_jsonl(path)]


def write_records(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    from botsmith.atomic import write_jsonl

    return write_jsonl(path, records)
