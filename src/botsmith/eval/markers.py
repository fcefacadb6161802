"""Style markers: habits of punctuation, contraction and sentence length a reader notices, with the real text's rates.

Burrows' Delta (stylometry.py) compares the most frequent words and nothing else: it does not
see that the base model writes "I'm" and "don't" where Austen never does, or that Elizabeth's
clauses hang on semicolons. On Pride and Prejudice those are the habits a tuned bot picks up
first (per 1,000 words of replies to held-out lines: contractions 39.0 -> 4.7 against her 0,
semicolons 1.8 -> 9.3 against her 9.5), while its function-word profile stays within the noise
of ~1,000 words.
Each marker is a rate over all of a model's replies together, compared with the same rate in
the held-out real text; whether a model moved towards it is tested as Delta is (paired.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from botsmith.eval import paired

WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
# n't 'm 're 've 'll 'd after anything, 's only after pronouns and a few adverbs ("Jane's" is a possessive)
CONTRACTION = re.compile(r"\b(?:\w+n['’]t|\w+['’](?:m|re|ve|ll|d)"
                         r"|(?:it|he|she|that|what|there|here|who|let|where|how)['’]s)\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$|[\"'”’)])")
MIN_WORDS = 100  # fewer words of replies than this: no rates


@dataclass(frozen=True)
class Marker:
    key: str
    label: str
    count: Callable[[str], int]  # occurrences in a text
    per: str  # "word": rate per 1,000 words; "sentence": words per sentence; "letters": letters per word


def _chars(*marks: str) -> Callable[[str], int]:
    return lambda text: sum(text.count(mark) for mark in marks)


MARKERS = (
    Marker("sentence_words", "words per sentence", lambda text: max(1, len(SENTENCE_END.findall(text.strip() + " "))),
           "sentence"),
    Marker("word_letters", "letters per word", lambda text: sum(len(word) for word in WORD.findall(text)), "letters"),
    Marker("commas", "commas per 1,000 words", _chars(","), "word"),
    Marker("semicolons", "semicolons per 1,000 words", _chars(";"), "word"),
    Marker("dashes", "dashes per 1,000 words", lambda text: text.count("—") + text.count("--") + text.count(" – "), "word"),
    Marker("exclamations", "exclamation marks per 1,000 words", _chars("!"), "word"),
    Marker("questions", "question marks per 1,000 words", _chars("?"), "word"),
    Marker("contractions", "contractions per 1,000 words", lambda text: len(CONTRACTION.findall(text)), "word"),
)


def tally(marker: Marker, text: str) -> tuple[int, int]:
    """(words, occurrences of the marker) in one text."""
    return len(WORD.findall(text)), marker.count(text)


def rate(marker: Marker, tallies: Sequence[tuple[int, int]]) -> float | None:
    """The marker's rate over texts together, from their tallies (None under MIN_WORDS words)."""
    words, count = sum(t[0] for t in tallies), sum(t[1] for t in tallies)
    if words < MIN_WORDS:
        return None
    if marker.per == "sentence":
        return words / count
    if marker.per == "letters":
        return count / words
    return 1000 * count / words


def marker_scores(before: Sequence[str], after: Sequence[str], real: Sequence[str]) -> dict[str, dict]:
    """Per marker: the two models' rates, the real text's, and the p-value of the change in distance to the real rate.

    `before` and `after` are two models' replies to the same probes in the same order. Markers that cannot be
    measured (under MIN_WORDS words on any side) are left out."""
    scores = {}
    for marker in MARKERS:
        counted = {name: [tally(marker, text) for text in texts]
                   for name, texts in (("before", before), ("after", after), ("real", real))}
        values = {name: rate(marker, tallies) for name, tallies in counted.items()}
        if None in values.values():
            continue
        change = _distance_change(marker, values["real"])
        scores[marker.key] = {**{name: round(value, 2) for name, value in values.items()},
                              "p": paired.paired_permutation_p(counted["before"], counted["after"], change)}
    return scores


def _distance_change(marker: Marker, target: float) -> Callable[[list, list], float | None]:
    """How much nearer the real rate `after` is than `before` (negative: nearer)."""
    def change(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> float | None:
        rates = rate(marker, before), rate(marker, after)
        return None if None in rates else abs(rates[1] - target) - abs(rates[0] - target)

    return change


def verdict(values: dict) -> str:
    """closer / further / within the noise (`paired.verdict`), for one marker's scores."""
    return paired.verdict(values["p"], abs(values["after"] - values["real"]) < abs(values["before"] - values["real"]))


def label(key: str) -> str:
    return _marker(key).label


def digits(key: str) -> int:
    """Decimals worth showing: letters per word moves in the second."""
    return 2 if _marker(key).per == "letters" else 1


def _marker(key: str) -> Marker:
    return next(marker for marker in MARKERS if marker.key == key)
