"""The base model's tokenizer, and token lengths of records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.errors import BotsmithError


class FastTokenizer:
    """The model's tokenizer.json through the `tokenizers` library, without loading transformers.

    Only counting and offsets are needed here, which tokenizer.json fully defines; it answers
    the same call as a transformers tokenizer for the parts used (input_ids, offset_mapping).
    """

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_truncation()

    def __call__(self, text: str | list[str], add_special_tokens: bool = False,
                 return_offsets_mapping: bool = False) -> dict[str, Any]:
        batch = [text] if isinstance(text, str) else text
        encodings = self._tokenizer.encode_batch(batch, add_special_tokens=add_special_tokens)
        result = {"input_ids": [e.ids for e in encodings], "offset_mapping": [e.offsets for e in encodings]}
        return {key: value[0] for key, value in result.items()} if isinstance(text, str) else result


def load_tokenizer(base_model: str, *, log=print) -> Any:
    """The base model's tokenizer: fragments are sized in its tokens."""
    from botsmith.models import resolve_model

    path = resolve_model(base_model, log=log)
    if (path / "tokenizer.json").is_file():
        try:
            return FastTokenizer(path / "tokenizer.json")
        except Exception:  # a tokenizer.json the library cannot read: transformers may still convert it
            pass
    return _transformers_tokenizer(path)


def _transformers_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError) as error:
        raise BotsmithError(f"{path}: cannot load the base model's tokenizer ({str(error).splitlines()[0][:160]})") from None
    if not getattr(tokenizer, "is_fast", False):
        raise BotsmithError(f"{path}: the tokenizer has no fast (Rust) version, which botsmith needs for offsets",
                            hint="pick a base model whose folder has tokenizer.json")
    tokenizer.model_max_length = 1 << 40  # whole chapters are tokenized at once to count; silence the length warning
    return tokenizer


def record_texts(record: dict[str, Any]) -> list[str]:
    if "messages" in record:
        return [m["content"] for m in record["messages"]]
    if "prompt" in record:
        return [record["prompt"] + record["completion"]]
    return [record["text"]]


def token_lengths(tokenizer: Any, records: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """(content tokens per record, tokens of its longest conversation turn, 0 for text); template markers not counted."""
    texts, owners = [], []
    for index, record in enumerate(records):
        for text in record_texts(record):
            texts.append(text)
            owners.append(index)
    totals, longest = [0] * len(records), [0] * len(records)
    for start in range(0, len(texts), 1024):
        batch = tokenizer(texts[start:start + 1024], add_special_tokens=False)["input_ids"]
        for owner, ids in zip(owners[start:start + 1024], batch):
            totals[owner] += len(ids)
            if "messages" in records[owner]:  # a "turn" only exists in conversations
                longest[owner] = max(longest[owner], len(ids))
    return totals, longest
