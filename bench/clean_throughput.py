"""Cleaning throughput on the shared corpora, and what each cleaned text starts and ends with.

    .venv/bin/python bench/clean_throughput.py [CORPORA_DIR] [--repeat N]

Prints MB/s of raw input per file (best of N runs, so a busy machine skews it less)
and overall, then the first and last 80 characters of each cleaned text.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from botsmith.sources import clean_text

DEFAULT_CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def best_time(data: bytes, name: str, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = clean_text(data, name=name)
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="?", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = sorted(args.corpora.glob("*.txt"))
    if not files:
        raise SystemExit(f"no .txt files in {args.corpora}")
    total_bytes, total_seconds, samples = 0, 0.0, []
    print(f"{'file':<45} {'MB':>6} {'MB/s':>7} {'chapters':>8} {'removed':>8}  kind")
    for path in files:
        data = path.read_bytes()
        seconds, result = best_time(data, path.name, args.repeat)
        total_bytes += len(data)
        total_seconds += seconds
        print(f"{path.name:<45} {len(data) / 1e6:6.2f} {len(data) / 1e6 / seconds:7.1f} {len(result.chapters):8d} "
              f"{len(result.removed):8d}  {result.kind}")
        samples.append((path.name, result.text))
    print(f"{'all':<45} {total_bytes / 1e6:6.2f} {total_bytes / 1e6 / total_seconds:7.1f}")
    print()
    for name, text in samples:
        print(f"{name}\n  first 80: {text[:80]!r}\n  last 80:  {text.rstrip()[-80:]!r}")


if __name__ == "__main__":
    main()
