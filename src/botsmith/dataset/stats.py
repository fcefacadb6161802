"""stats.json: what a dataset holds, where it came from, and how to tell it was not edited since."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from botsmith.records import record_kind

# Upper bounds of the token-length histogram bins; the last bin is open.
BINS = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
TOO_FEW = 50  # examples: below this a fine-tune mostly memorises


def histogram(lengths: list[int]) -> dict[str, int]:
    """Counts per bin, labelled "0-15", "16-31", ..., "4096+"; empty bins included so plots line up."""
    labels, lower = [], 0
    for upper in BINS:
        labels.append(f"{lower}-{upper - 1}")
        lower = upper
    labels.append(f"{BINS[-1]}+")
    counts = dict.fromkeys(labels, 0)
    for length in lengths:
        index = next((i for i, upper in enumerate(BINS) if length < upper), len(BINS))
        counts[labels[index]] += 1
    return counts


def length_summary(lengths: list[int]) -> dict[str, Any]:
    if not lengths:
        return {"count": 0}
    ordered = sorted(lengths)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"count": len(ordered), "mean": round(sum(ordered) / len(ordered), 1), "min": ordered[0],
            "p50": pick(0.5), "p95": pick(0.95), "max": ordered[-1], "histogram": histogram(ordered)}


def kinds(records: list[dict[str, Any]]) -> dict[str, int]:
    """Record shapes (messages/text/prompt_completion) and extractor kinds (pair/window/fragment)."""
    counts: Counter[str] = Counter(record_kind(record) for record in records)
    counts.update(f"kind:{record['meta']['kind']}" for record in records if record.get("meta", {}).get("kind"))
    return dict(sorted(counts.items()))


def length_warnings(totals: list[int], longest_turns: list[int], max_length: int) -> list[str]:
    warnings = []
    over = sum(total > max_length for total in totals)
    if over:
        warnings.append(f"{over} of {len(totals)} examples are longer than [train] max_length ({max_length} tokens) "
                        "and will be truncated in training")
    long_turns = sum(turn > max_length // 2 for turn in longest_turns)
    if long_turns:
        warnings.append(f"{long_turns} examples have a very long turn (over {max_length // 2} tokens)")
    return warnings


def count_warnings(n_train: int, n_validation: int) -> list[str]:
    total = n_train + n_validation
    if total < TOO_FEW:
        return [f"only {total} examples: too few for a fine-tune to generalise (aim for a few hundred)"]
    return []


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
