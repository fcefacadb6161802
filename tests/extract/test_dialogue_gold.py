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
from botsmith.extract.dialogue.evaluation import Scores, chapter_of, gold_names, retypeset
from botsmith.extract.dialogue.evaluation import load_gold as load_gold_chapter
from botsmith.extract.dialogue.evaluation import score as score_chapter

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
    # held out: the untagged conversation of Elizabeth and Jane `by themselves` (once given to Mary)
    ("pride_ch47_curly", {"precision": 1.0, "recall": 1.0, "speaker": 0.93, "turns": 0.95}),
    ("mansfield_ch11_straight", {"precision": 1.0, "recall": 1.0, "speaker": 0.87, "turns": 0.93}),
    ("emma_ch8_straight", {"precision": 1.0, "recall": 0.98, "speaker": 0.94, "turns": 0.97}),
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


# Floors a little under what the extractor reaches (bench/attribution.py prints the figures),
# per group of books and per quote convention, so that a regression in any of them fails.
FLOORS = {
    "unseen": {"span_f1": 0.99, "tagged_accuracy": 0.95, "untagged_accuracy": 0.89, "pair_f1": 0.92},
    "seen": {"span_f1": 0.99, "tagged_accuracy": 0.98, "untagged_accuracy": 0.98, "pair_f1": 0.96},
}
# each round of held-out chapters on its own, as printed (cast.json: held_out)
HELD_OUT_FLOORS = {
    1: {"tagged_accuracy": 0.94, "untagged_accuracy": 0.82, "pair_f1": 0.89},
    2: {"tagged_accuracy": 0.94, "untagged_accuracy": 0.87, "pair_f1": 0.88},
    3: {"tagged_accuracy": 0.97, "untagged_accuracy": 0.89, "pair_f1": 0.97},
}


def _totals() -> dict[tuple[str, str], Scores]:
    totals: dict[tuple[str, str], Scores] = {}
    for name in gold_names(FIXTURES):
        gold = load_gold_chapter(FIXTURES, name)
        versions = [gold.convention]
        if gold.convention.startswith("double"):
            versions += [c for c in ("double-curly", "double-straight", "single-straight") if c != gold.convention]
        for convention in versions:
            text = gold.text if convention == gold.convention else retypeset(gold.text, convention)
            key = ("seen" if gold.seen else "unseen", convention)
            totals[key] = totals.get(key, Scores()) + score_chapter(gold, extract_dialogue(text, quotes=convention))
    return totals


def test_attribution_holds_its_figures_in_every_convention() -> None:
    totals = _totals()
    assert {convention for _, convention in totals} == {"double-curly", "double-straight", "single-straight"}
    for (group, convention), scores in totals.items():
        for metric, floor in FLOORS[group].items():
            assert getattr(scores, metric) >= floor, (group, convention, metric, getattr(scores, metric))


def test_each_round_of_held_out_chapters_holds_its_figures() -> None:
    totals: dict[int, Scores] = {}
    for name in gold_names(FIXTURES):
        gold = load_gold_chapter(FIXTURES, name)
        if gold.held_out:
            totals[gold.held_out] = totals.get(gold.held_out, Scores()) + score_chapter(gold, extract_dialogue(gold.text))
    assert set(totals) == set(HELD_OUT_FLOORS)
    for held_out, scores in totals.items():
        for metric, floor in HELD_OUT_FLOORS[held_out].items():
            assert getattr(scores, metric) >= floor, (held_out, metric, getattr(scores, metric))


def test_chapters_hold_their_figures_inside_their_whole_book(corpora: Path) -> None:
    # `botsmith build` extracts whole books: the book's cast, aliases and earlier scenes then decide speakers too
    text = (corpora / "pride_and_prejudice.txt").read_text(encoding="utf-8")
    whole = extract_dialogue(text, quotes="double-curly")
    total = Scores()
    for name in ("pride_ch2_curly", "pride_ch33_curly", "pride_ch47_curly"):
        gold = load_gold_chapter(FIXTURES, name)
        offset = text.find(gold.text)
        assert offset >= 0, name
        total += score_chapter(gold, chapter_of(whole, offset, offset + len(gold.text)))
    assert total.span_f1 >= 0.99 and total.tagged_accuracy >= 0.95 and total.untagged_accuracy >= 0.95
    assert total.pair_f1 >= 0.94, total


def test_exchanges_beat_the_one_turn_per_paragraph_baseline_on_unseen_books() -> None:
    for (group, convention), scores in _totals().items():
        if group == "unseen":
            assert scores.pair_f1 > scores.paragraph_f1 - 0.05, (convention, scores.pair_f1, scores.paragraph_f1)


def test_retypesetting_keeps_every_gold_span() -> None:
    gold = load_gold_chapter(FIXTURES, "persuasion_ch3_straight")
    for convention in ("double-curly", "single-straight"):
        text = retypeset(gold.text, convention)
        assert len(text) == len(gold.text)
        assert all(text[row["start"]:row["end"]].replace('"', "'") == row["text"].replace('"', "'")
                   for row in gold.rows if '"' not in row["text"] and "'" not in row["text"])
    assert "Sixty" in retypeset(gold.text, "single-straight") and '"Sixty,"' in retypeset(gold.text, "single-straight")


def test_a_speech_split_by_a_tag_reads_as_written() -> None:
    text, _ = load_gold("pride_ch33_curly")
    said = [" ".join(turn.text.split()) for turn in extract_dialogue(text).turns]
    assert any("He did not talk to me of his own arts. He only told me what I have now told you." in t for t in said)
    assert any(t.startswith("I am thinking of what you have been telling me. Your cousin") for t in said)
    assert any(t.startswith("Oh yes, Mr. Darcy is uncommonly kind") for t in said)  # a tag ending in a dash runs on
    assert not any("arts, He" in t or "me, Your" in t for t in said)


def test_pet_names_and_surnames_are_one_speaker() -> None:
    text, _ = load_gold("pride_ch2_curly")
    turns = extract_dialogue(text).turns
    answer = next(turn for turn in turns if turn.text.startswith("To-morrow fortnight"))
    assert answer.speaker == "Elizabeth"  # answers `When is your next ball to be, Lizzy?`
    text, _ = load_gold("northanger_ch3_straight")
    speakers = {turn.speaker for turn in extract_dialogue(text).turns}
    assert "Mr. Tilney" in speakers and "Tilney" not in speakers and None not in speakers  # `his name was Tilney`


def test_songs_are_not_turns_but_speech_after_a_song_is() -> None:
    text, _ = load_gold("alice_ch6_straight")
    said = [turn.text for turn in extract_dialogue(text).turns]
    assert not any("Speak roughly to your little boy" in t or t.startswith("Wow!") for t in said)  # the lullaby
    novel = ("CHAPTER I.\n\n" + "Narration. " * 160 + "\n\n"
             "Mary sang, and when Mary had finished her second song, he said aloud,--\n\n"
             "“That will do extremely well, child.”\n\n"
             "The Duchess began singing a sort of lullaby, shaking the baby at the end of every line:\n\n"
             "“Speak roughly to your little boy,\n    And beat him when he sneezes.”\n")
    found = [turn.text for turn in extract_dialogue(novel).turns]
    assert found == ["That will do extremely well, child."]
