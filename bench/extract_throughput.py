"""Dialogue extraction throughput and counts on the shared corpora.

    .venv/bin/python bench/extract_throughput.py [CORPORA_DIR] [--repeat N]

Prints, per book: the convention found, utterances, turns, exchanges (adjacent turns of
one chapter with a real change of speaker), speakers, and MB/s (best of N runs, text
already decoded; the size is the UTF-8 size of the decoded text).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from botsmith.extract import extract_dialogue
from botsmith.sources.encoding import decode_text

NOVELS = ("pride_and_prejudice.txt", "pride_and_prejudice.raw-cp1252-crlf.txt", "alice_in_wonderland.txt",
          "alice_in_wonderland.straight-quotes.txt")
PLAYS = ("hamlet.txt",)


def _extractor(name: str):
    if name in PLAYS:
        try:
            from botsmith.extract.plays import extract_play
        except ImportError:
            return None
        return extract_play
    return extract_dialogue


def measure(path: Path, repeat: int) -> tuple[object, float, int]:
    text = decode_text(path.read_bytes()).text
    extract = _extractor(path.name)
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = extract(text)
        best = min(best, time.perf_counter() - start)
    return result, best, len(text.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpora"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(args.corpora)
    print(f"{'book':<42} {'convention':<16} {'utter.':>7} {'turns':>6} {'exch.':>6} {'speak.':>6} {'MB':>6} {'MB/s':>6}")
    total_bytes, total_seconds = 0, 0.0
    for name in (*NOVELS, *PLAYS):
        path = folder / name
        if not path.is_file() or _extractor(name) is None:
            continue
        result, seconds, size = measure(path, args.repeat)
        total_bytes += size
        total_seconds += seconds
        print(f"{name:<42} {result.convention:<16} {result.utterances:>7} {len(result.turns):>6} "
              f"{len(result.exchanges()):>6} {len(result.speakers):>6} {size / 1e6:>6.2f} {size / 1e6 / seconds:>6.2f}")
    if total_seconds:
        print(f"{'all':<42} {'':<16} {'':>7} {'':>6} {'':>6} {'':>6} {total_bytes / 1e6:>6.2f} "
              f"{total_bytes / 1e6 / total_seconds:>6.2f}")


if __name__ == "__main__":
    main()
