"""Exact and near-duplicate removal.

Exact: the same normalised text (case, punctuation and spacing ignored). Near: word
5-gram shingles compared by MinHash with LSH banding to find candidates, then the
true Jaccard similarity decides, so the result is deterministic. Shingles of a
conversation are tagged with the role of their turn: one long speech that is the
answer in one pair and the question in the next does not make the two duplicates.
Near-duplicates are only looked for among records of the same `meta.kind`: a
multi-turn window is meant to contain the pairs it is made of. The first
occurrence is kept.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from typing import Any

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: pairs at Jaccard 0.8 are candidates with probability > 0.999


@dataclass
class DedupResult:
    kept: list[dict[str, Any]]
    exact: int
    near: int


def parts_of(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(tag, text) pieces of a record; the tag keeps roles apart."""
    if "messages" in record:
        return [(m["role"], m["content"]) for m in record["messages"] if m["role"] != "system"]
    if "prompt" in record:
        return [("prompt", record["prompt"]), ("completion", record["completion"])]
    return [("text", record["text"])]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def exact_key(record: dict[str, Any]) -> str:
    normal = "\x1f".join(f"{tag}:{' '.join(_words(text))}" for tag, text in parts_of(record))
    return hashlib.sha1(normal.encode()).hexdigest()


def shingles(record: dict[str, Any]) -> set[int]:
    result: set[int] = set()
    for tag, text in parts_of(record):
        words = _words(text)
        for i in range(max(1, len(words) - SHINGLE + 1)):
            result.add(zlib.crc32(f"{tag}|{' '.join(words[i:i + SHINGLE])}".encode()))
    return result


def dedup_records(records: list[dict[str, Any]], threshold: float) -> DedupResult:
    seen: set[str] = set()
    unique = []
    for record in records:
        key = exact_key(record)
        if key not in seen:
            seen.add(key)
            unique.append(record)
    exact = len(records) - len(unique)
    if threshold >= 1.0 or len(unique) < 2:
        return DedupResult(unique, exact, 0)
    kept = _drop_near(unique, threshold)
    return DedupResult(kept, exact, len(unique) - len(kept))


def _drop_near(records: list[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    import numpy as np

    sets = [shingles(record) for record in records]
    signatures = _minhash(sets, np)
    rows = PERMUTATIONS // BANDS
    buckets: dict[tuple[str, int, bytes], list[int]] = {}
    dropped: set[int] = set()
    for index, signature in enumerate(signatures):
        if len(sets[index]) < 2:  # under five words: only exact duplicates count
            continue
        candidates = set()
        kind = records[index].get("meta", {}).get("kind", "")  # a window is not a duplicate of the pair inside it
        for band in range(BANDS):
            key = (kind, band, signature[band * rows:(band + 1) * rows].tobytes())
            candidates.update(buckets.setdefault(key, []))
            buckets[key].append(index)
        if any(j not in dropped and _jaccard(sets[index], sets[j]) >= threshold for j in candidates):
            dropped.add(index)
    return [record for index, record in enumerate(records) if index not in dropped]


def _minhash(sets: list[set[int]], np) -> Any:
    # Multiply-shift hashing: (a*x + b) mod 2^64, top 32 bits; a odd. uint64 arrays wrap silently.
    rng = np.random.default_rng(20240521)
    a = rng.integers(1, 1 << 63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 1 << 63, PERMUTATIONS, dtype=np.uint64)
    signatures = np.empty((len(sets), PERMUTATIONS), dtype=np.uint64)
    for index, values in enumerate(sets):
        x = np.fromiter(values, dtype=np.uint64, count=len(values))[:, None]
        signatures[index] = ((a * x + b) >> np.uint64(32)).min(axis=0)
    return signatures


def _jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
