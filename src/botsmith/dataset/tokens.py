"""The base model's tokenizer, and token lengths of records."""

from __future__ import annotations

from typing import Any

from botsmith.errors import BotsmithError


def load_tokenizer(base_model: str, *, log=print) -> Any:
    """The base model's (fast) tokenizer: fragments are sized in its tokens."""
    from transformers import AutoTokenizer

    from botsmith.models import resolve_model

    path = resolve_model(base_model, log=log)
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
