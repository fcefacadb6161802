"""Score dialogue extraction against hand-annotated chapters: spans, speakers, exchange pairs.

A gold chapter is `NAME.txt` with `NAME.gold.jsonl` beside it, one row per utterance in
text order: `{"start", "end", "text", "speaker", "turn", "tagged"}` (`speaker` null where
the text names nobody, `tagged` true where a tag such as `said she` or `Anne spoke--`
marks the quotation), and an entry in `cast.json` (the book, whether the project was
tuned on it, which round of held-out chapters it belongs to, its quote convention, the other
names each speaker goes by).

Pairs are counted as the dataset builds them: consecutive turns of different speakers
in one chapter, after same-speaker turns are merged and unknown speakers cut the run;
a pair is right when both turns cover the same stretch of text as in the gold.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from botsmith.extract.dialogue.layout import analyse
from botsmith.extract.dialogue.result import DialogueResult
from botsmith.extract.exchanges import runs_of

Extent = tuple[int, int]
Pair = tuple[Extent, Extent]


@dataclass
class GoldChapter:
    name: str
    text: str
    rows: list[dict]
    convention: str
    seen: bool
    aliases: dict[str, str] = field(default_factory=dict)  # another name -> the gold speaker
    held_out: int = 0  # the round of held-out chapters it belongs to (0: none)

    def same_speaker(self, found: str | None, gold: str | None) -> bool:
        if gold is None or found is None:
            return found is gold
        return self.aliases.get(found, found) == gold


def load_gold(folder: Path, name: str) -> GoldChapter:
    cast = json.loads((folder / "cast.json").read_text(encoding="utf-8"))[name]
    text = (folder / f"{name}.txt").read_text(encoding="utf-8")
    lines = (folder / f"{name}.gold.jsonl").read_text(encoding="utf-8").splitlines()
    aliases = {alias: speaker for speaker, names in cast["aliases"].items() for alias in names}
    return GoldChapter(name, text, [json.loads(line) for line in lines], cast["convention"], cast["seen"], aliases,
                       cast.get("held_out", 0))


def gold_names(folder: Path) -> list[str]:
    return sorted(path.name.removesuffix(".gold.jsonl") for path in folder.glob("*.gold.jsonl"))


@dataclass
class Scores:
    """Counts, so that chapters add up; the ratios are properties."""

    gold_spans: int = 0
    found_spans: int = 0
    matched_spans: int = 0
    tagged: int = 0
    tagged_right: int = 0
    untagged: int = 0
    untagged_right: int = 0
    unknown: int = 0  # matched spans given no speaker where the gold names one
    gold_pairs: int = 0
    found_pairs: int = 0
    matched_pairs: int = 0
    paragraph_pairs: int = 0  # the baseline: every speech paragraph one turn, every two in a row a pair
    paragraph_matched: int = 0

    def __add__(self, other: Scores) -> Scores:
        return Scores(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def span_precision(self) -> float:
        return _ratio(self.matched_spans, self.found_spans)

    @property
    def span_recall(self) -> float:
        return _ratio(self.matched_spans, self.gold_spans)

    @property
    def span_f1(self) -> float:
        return _f1(self.span_precision, self.span_recall)

    @property
    def tagged_accuracy(self) -> float:
        return _ratio(self.tagged_right, self.tagged)

    @property
    def untagged_accuracy(self) -> float:
        return _ratio(self.untagged_right, self.untagged)

    @property
    def pair_precision(self) -> float:
        return _ratio(self.matched_pairs, self.found_pairs)

    @property
    def pair_recall(self) -> float:
        return _ratio(self.matched_pairs, self.gold_pairs)

    @property
    def pair_f1(self) -> float:
        return _f1(self.pair_precision, self.pair_recall)

    @property
    def paragraph_f1(self) -> float:
        precision = _ratio(self.paragraph_matched, self.paragraph_pairs)
        return _f1(precision, _ratio(self.paragraph_matched, self.gold_pairs))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(gold: GoldChapter, result: DialogueResult) -> Scores:
    """How `result` (extracted from `gold.text`, or a re-typeset copy of it) matches the gold."""
    speech = [row for row in gold.rows if row.get("speech", True)]
    found = {(row["start"], row["end"]): row["speaker"] for row in result.spans()}
    scores = Scores(gold_spans=len(speech), found_spans=len(found))
    for row in speech:
        key = (row["start"], row["end"])
        if key not in found:
            continue
        scores.matched_spans += 1
        right = gold.same_speaker(found[key], row["speaker"])
        scores.unknown += found[key] is None and row["speaker"] is not None
        if row["tagged"]:
            scores.tagged, scores.tagged_right = scores.tagged + 1, scores.tagged_right + right
        else:
            scores.untagged, scores.untagged_right = scores.untagged + 1, scores.untagged_right + right
    gold_pairs = _gold_pairs(speech)
    found_pairs = _dataset_pairs(result)
    paragraph_pairs = _paragraph_pairs(gold.text, speech)
    scores.gold_pairs, scores.found_pairs = len(gold_pairs), len(found_pairs)
    scores.matched_pairs = len(gold_pairs & found_pairs)
    scores.paragraph_pairs, scores.paragraph_matched = len(paragraph_pairs), len(gold_pairs & paragraph_pairs)
    return scores


def chapter_of(result: DialogueResult, start: int, end: int) -> DialogueResult:
    """The turns of a whole book's extraction that fall in [start, end), with offsets into that stretch: a gold
    chapter scored as `botsmith build` extracts it, with the whole book's cast, aliases and scenes around it."""
    turns = []
    for turn in result.turns:
        inside = [replace(u, start=u.start - start, end=u.end - start)
                  for u in turn.utterances if start <= u.start < end]
        if inside:
            turns.append(replace(turn, utterances=inside))
    return replace(result, turns=turns)


def _pairs_of(extents: list[Extent]) -> set[Pair]:
    return set(zip(extents, extents[1:]))


def _gold_pairs(rows: list[dict]) -> set[Pair]:
    turns: dict[int, list[int]] = {}
    for row in rows:
        extent = turns.setdefault(row["turn"], [row["start"], row["end"]])
        extent[1] = row["end"]
    return _pairs_of([(start, end) for start, end in turns.values()])


def _dataset_pairs(result: DialogueResult) -> set[Pair]:
    """Input -> response pairs exactly as `botsmith build` makes them (a known responder)."""
    pairs = set()
    for _, said in runs_of(result.turns, lambda turn: "chapter"):
        for first, second in zip(said, said[1:]):
            if second.speaker is not None:
                pairs.add(((first.start, first.end), (second.start, second.end)))
    return pairs


def _paragraph_pairs(text: str, rows: list[dict]) -> set[Pair]:
    """The no-speaker baseline: each paragraph with gold speech is one turn."""
    extents: dict[int, list[int]] = {}
    paragraphs = analyse(text).paragraphs
    index = 0
    for row in rows:
        while paragraphs[index].end < row["start"]:
            index += 1
        extent = extents.setdefault(index, [row["start"], row["end"]])
        extent[1] = row["end"]
    return _pairs_of([(start, end) for start, end in extents.values()])


_STRAIGHT_SINGLE_QUOTE = re.compile(r"(?<![^\s(—\-\"])'(?=\w)|(?<=[,.!?;:—\-])'(?=[\s,.;:!?—\-\"]|$)")


def retypeset(text: str, target: str) -> str:
    """A double-quoted text (curly or straight) set in another convention, every offset kept.

    Each mark becomes one mark, so the gold spans still index the new text. Nested single
    quotations swap to double ones where the target uses single quotes for speech.
    """
    if target == "double-curly":
        return _BLANK_LINE.sub(lambda block: _curl(block.group()), text)
    if target == "double-straight":
        return text.translate(str.maketrans("“”", '""'))
    if target == "single-straight":
        inner = "\0"  # nested marks wait here while the speech marks change
        nested = _STRAIGHT_SINGLE_QUOTE.sub(inner, text.replace("‘", inner))
        nested = re.sub(r"’(?=[\s,.;:!?—\-”\"]|$)(?<=[,.!?;:—\-]’)", inner, nested)
        return nested.translate(str.maketrans({"“": "'", "”": "'", '"': "'", "’": "'", inner: '"'}))
    raise ValueError(f"cannot re-typeset into {target!r}")


_BLANK_LINE = re.compile(r"(?:[^\n]|\n(?![ \t]*\n))+")  # a paragraph: lines up to a blank one


def _curl(paragraph: str) -> str:
    """Straight double quotes alternate within a paragraph: open, close, open... (`boy--"` closes)."""
    marks = iter("“”" * (paragraph.count('"') // 2 + 1))
    return re.sub('"', lambda _: next(marks), paragraph)
