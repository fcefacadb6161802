"""Hand-annotated chapters: every utterance span, its speaker and its turn.

`alice_ch7_straight` is chapter VII of *Alice* in straight single quotes (the hard case:
apostrophes, nested double quotes, songs inside speeches, three speakers in one
paragraph); `pride_ch1_curly` is chapter I of *Pride and Prejudice* (no named tag at
all: `said his lady`, `returned she`, `cried his wife`, and long untagged runs).
`pride_ch2_curly` is chapter II (six speakers, `said her mother`, `cried he`, a vocative
answered without a tag); its speakers were written down from the text before the extractor
was run on it. The gold files were checked paragraph by paragraph against the text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from botsmith.extract import extract_dialogue

FIXTURES = Path(__file__).parent / "fixtures" / "dialogue"


def load_gold(name: str) -> tuple[str, list[dict]]:
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in (FIXTURES / f"{name}.gold.jsonl").read_text(encoding="utf-8").splitlines()]
    return text, rows


def score(gold: list[dict], found: list[dict]) -> dict[str, float]:
    """Exact-span precision/recall, speaker accuracy on matched spans, and turn-boundary agreement."""
    gold_spans = {(g["start"], g["end"]): g for g in gold}
    found_spans = {(f["start"], f["end"]): f for f in found}
    matched = gold_spans.keys() & found_spans.keys()
    speakers = sum(1 for key in matched if gold_spans[key]["speaker"] == found_spans[key]["speaker"])
    order = sorted(matched)
    same_turn_agree = sum(
        1 for a, b in zip(order, order[1:])
        if (gold_spans[a]["turn"] == gold_spans[b]["turn"]) == (found_spans[a]["turn"] == found_spans[b]["turn"]))
    return {"precision": len(matched) / max(1, len(found_spans)), "recall": len(matched) / max(1, len(gold_spans)),
            "speaker": speakers / max(1, len(matched)), "turns": same_turn_agree / max(1, len(order) - 1)}


@pytest.mark.parametrize("name, minimum", [
    ("alice_ch7_straight", {"precision": 0.98, "recall": 0.98, "speaker": 0.95, "turns": 0.95}),
    ("pride_ch1_curly", {"precision": 1.0, "recall": 1.0, "speaker": 0.95, "turns": 0.95}),
    ("pride_ch2_curly", {"precision": 1.0, "recall": 1.0, "speaker": 0.9, "turns": 0.9}),
])
def test_extraction_matches_the_hand_annotation(name: str, minimum: dict[str, float]) -> None:
    text, gold = load_gold(name)
    for row in gold:
        assert text[row["start"]:row["end"]] == row["text"]  # the fixture itself is consistent
    result = extract_dialogue(text)
    scores = score(gold, result.spans())
    for metric, floor in minimum.items():
        assert scores[metric] >= floor, (metric, scores)


def test_gold_has_the_cases_it_claims() -> None:
    _, alice = load_gold("alice_ch7_straight")
    texts = [row["text"] for row in alice]
    assert any("o'clock" in t for t in texts) and any("I'm" in t for t in texts)  # apostrophes kept inside
    assert any('"I see what I eat"' in t for t in texts)  # nested quotes of the other kind
    assert any(row["speaker"] is None for row in alice)  # a group speaks ('Sh! sh!')
    _, pride = load_gold("pride_ch1_curly")
    assert not any("He came down to see the place" in row["text"] for row in pride)  # an illustration caption
