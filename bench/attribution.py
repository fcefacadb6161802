"""Dialogue attribution against the hand-annotated chapters in tests/extract/fixtures/dialogue.

    PYTHONPATH=src .venv/bin/python bench/attribution.py [--repeat N] [--detail]

For every gold chapter, in its own quote convention and re-typeset into the other two main
ones (double curly, double straight, single straight; only double-quoted chapters can be
re-typeset exactly), prints span P/R/F1, speaker accuracy on tagged and untagged quotations,
exchange-pair P/R/F1 (pairs as `botsmith build` makes them) and, as a reference, the pair F1
of treating every speech paragraph as one turn of a new speaker. Totals are given for the
books the extractor was tuned on (seen), the others (unseen), and each round of held-out
chapters (annotated before the changes they check; in their own convention). Throughput is MB/s of
`extract_dialogue` over the shared corpora novels (best of N runs, text already decoded,
UTF-8 size), pure Python on one core.
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

from botsmith.extract import extract_dialogue
from botsmith.extract.dialogue.evaluation import (GoldChapter, Scores, chapter_of, gold_names, load_gold, retypeset,
                                                 score)
from botsmith.extract.dialogue.result import DialogueResult

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "extract" / "fixtures" / "dialogue"
CORPORA = ROOT.parent / "shared" / "corpora"
MAIN_CONVENTIONS = ("double-curly", "double-straight", "single-straight")
HEADER = (f"{'chapter':<26} {'convention':<16} {'spans':>5} {'P':>6} {'R':>6} {'F1':>6} {'tagged':>7} {'untag.':>7} "
          f"{'unkn.':>5} {'pairs':>5} {'P':>6} {'R':>6} {'F1':>6} {'para.F1':>7}")


def versions(gold: GoldChapter) -> list[tuple[str, str]]:
    """(convention, text): the chapter as printed, then re-typeset where that is exact."""
    found = [(gold.convention, gold.text)]
    if gold.convention.startswith("double"):
        found += [(name, retypeset(gold.text, name)) for name in MAIN_CONVENTIONS if name != gold.convention]
    return found


def line(label: str, convention: str, s: Scores) -> str:
    return (f"{label:<26} {convention:<16} {s.gold_spans:>5} {s.span_precision:>6.3f} {s.span_recall:>6.3f} "
            f"{s.span_f1:>6.3f} {s.tagged_accuracy:>7.3f} {s.untagged_accuracy:>7.3f} {s.unknown:>5} "
            f"{s.gold_pairs:>5} {s.pair_precision:>6.3f} {s.pair_recall:>6.3f} {s.pair_f1:>6.3f} "
            f"{s.paragraph_f1:>7.3f}")


@functools.cache
def _read_book(path: Path) -> str:
    from botsmith.sources.encoding import decode_text

    return decode_text(path.read_bytes()).text


@functools.cache
def _extract_book(path: Path, convention: str) -> DialogueResult:
    return extract_dialogue(_read_book(path), quotes=convention)


def whole_book_results(gold: GoldChapter, books: list[Path]) -> DialogueResult | None:
    """The chapter as extracted from its whole book (the book's cast, aliases and scenes around it)."""
    for path in books:
        offset = _read_book(path).find(gold.text)
        if offset >= 0:
            return chapter_of(_extract_book(path, gold.convention), offset, offset + len(gold.text))
    return None


def evaluate_in_books(books: list[Path]) -> None:
    """Each gold chapter found in one of `books`, extracted as part of its whole book, as `botsmith build` does."""
    print(f"\nin their whole books ({', '.join(path.name for path in books)}):")
    print(HEADER)
    totals: dict[str, Scores] = {}
    for name in gold_names(FIXTURES):
        gold = load_gold(FIXTURES, name)
        result = whole_book_results(gold, books)
        if result is None:
            continue
        scores = score(gold, result)
        print(line(name, gold.convention, scores))
        group = "seen" if gold.seen else "unseen"
        for key in [group] + ([f"held out {gold.held_out}"] if gold.held_out else []):
            totals[key] = totals.get(key, Scores()) + scores
    print()
    for group, scores in sorted(totals.items()):
        print(line(f"total {group}", "in whole books", scores))


def evaluate(detail: bool) -> None:
    print(HEADER)
    totals: dict[tuple[str, str], Scores] = {}
    for name in gold_names(FIXTURES):
        gold = load_gold(FIXTURES, name)
        for convention, text in versions(gold):
            result = extract_dialogue(text, quotes=convention)
            scores = score(gold, result)
            group = "seen" if gold.seen else "unseen"
            keys = [(group, convention), (group, "all")]
            if gold.held_out:  # each round of held-out chapters on its own, as printed
                keys += [(f"held out {gold.held_out}", "as printed")] if convention == gold.convention else []
            for key in keys:
                totals[key] = totals.get(key, Scores()) + scores
            if detail or convention == gold.convention:
                print(line(name, convention, scores))
    print()
    for (group, convention), scores in sorted(totals.items()):
        print(line(f"total {group}", convention, scores))


def throughput(repeat: int) -> None:
    from botsmith.sources.encoding import decode_text

    total_bytes, total_seconds = 0, 0.0
    for name in ("pride_and_prejudice.txt", "alice_in_wonderland.txt", "alice_in_wonderland.straight-quotes.txt"):
        path = CORPORA / name
        if not path.is_file():
            continue
        text = decode_text(path.read_bytes()).text
        extract_dialogue(text)  # warm-up: regex compilation, imports
        best = min(_timed(text) for _ in range(repeat))
        total_bytes += len(text.encode("utf-8"))
        total_seconds += best
    if total_seconds:
        print(f"\nthroughput: {total_bytes / 1e6:.2f} MB of shared-corpora novels in {total_seconds:.2f} s = "
              f"{total_bytes / 1e6 / total_seconds:.2f} MB/s (best of {repeat}, one core, pure Python)")


def _timed(text: str) -> float:
    start = time.perf_counter()
    extract_dialogue(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per book (best is kept)")
    parser.add_argument("--detail", action="store_true", help="one line per chapter and convention")
    parser.add_argument("--books", type=Path, nargs="*", default=None,
                        help="whole books (text files) holding gold chapters: score each chapter extracted as part of "
                             "its book too (the shared corpora's Pride and Prejudice is always tried)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    missing = [str(path) for path in args.books or [] if not path.is_file()]
    if missing:
        parser.error(f"--books: no such file: {', '.join(missing)}")
    evaluate(args.detail)
    books = [CORPORA / "pride_and_prejudice.txt"] + list(args.books or [])
    evaluate_in_books([path for path in books if path.is_file()])
    throughput(args.repeat)


if __name__ == "__main__":
    main()
