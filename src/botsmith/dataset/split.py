"""Train/validation split by group (chapter, book or chat session), seeded.

Whole groups go to one side, so no exchange and no passage leaks across the split.
Groups are shuffled with the seed and taken into validation until it holds about
`fraction` of the records; at least one group goes each way. With fewer than two
groups the split falls back to single records, and says so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Split:
    train: list[dict[str, Any]]
    validation: list[dict[str, Any]]
    unit: str  # "group" or "record"
    validation_groups: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def group_of(record: dict[str, Any], index: int) -> str:
    group = record.get("meta", {}).get("group")
    return str(group) if group is not None else f"record-{index}"


def split_records(records: list[dict[str, Any]], fraction: float, seed: int) -> Split:
    if fraction <= 0 or len(records) < 2:
        warning = "validation_fraction is 0: no validation set" if fraction <= 0 else \
            f"only {len(records)} example: no validation set"
        return Split(list(records), [], "group", warnings=[warning])
    sizes: dict[str, int] = {}
    for index, record in enumerate(records):
        key = group_of(record, index)
        sizes[key] = sizes.get(key, 0) + 1
    if len(sizes) < 2:
        return _split_by_record(records, fraction, seed)
    chosen = _choose_groups(sizes, fraction, seed)
    train, validation = [], []
    for index, record in enumerate(records):
        (validation if group_of(record, index) in chosen else train).append(record)
    return Split(train, validation, "group", sorted(chosen))


def _choose_groups(sizes: dict[str, int], fraction: float, seed: int) -> set[str]:
    order = sorted(sizes)
    random.Random(seed).shuffle(order)
    target, total, chosen = fraction * sum(sizes.values()), 0, set()
    for key in order[:-1]:  # the last group always stays in train
        if chosen and total + sizes[key] / 2 > target:
            continue  # taking it would overshoot by more than half of it; a smaller one may fit
        chosen.add(key)
        total += sizes[key]
        if total >= target:
            break
    return chosen


def _split_by_record(records: list[dict[str, Any]], fraction: float, seed: int) -> Split:
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_validation = min(len(records) - 1, max(1, round(fraction * len(records))))
    held = set(order[:n_validation])
    warning = ("only one chapter/book/session: split by single examples, so neighbouring passages "
               "may sit on both sides (add more text for a clean split)")
    return Split([r for i, r in enumerate(records) if i not in held],
                 [r for i, r in enumerate(records) if i in held], "record", warnings=[warning])
