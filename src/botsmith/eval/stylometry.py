"""Burrows' Delta: how close two texts are in their use of the most frequent words.

The classic authorship measure (Burrows 2002): take the n most frequent words of a
reference corpus, express each text's relative frequency of each word as a z-score
against the spread of that word over the reference corpus's texts, and average the
absolute differences of two texts' z-scores. 0 is identical habits; unrelated texts
of one language land around 1-2. Function words dominate the list, which is the point:
they carry a writer's (or a character's) voice rather than the topic.

The reference corpus here is the dataset's own lines, cut into single-speaker chunks,
so z-scores measure "how unusual for this book" a frequency is.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from botsmith.eval.paired import DRAWS, paired_permutation_p

WORD = re.compile(r"[a-z]+(?:['’][a-z]+)*")
MFW = 100  # most frequent words compared
CHUNK_WORDS = 400  # size of a reference text: enough words for stable frequencies of the top words
MIN_CHUNKS = 3  # fewer reference texts give no meaningful spread


def words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("’", "'"))


def words_of(texts: Iterable[str]) -> list[str]:
    """The words of several texts, one after another: a sample for Delta."""
    return [word for text in texts for word in words(text)]


def reference_chunks(texts_by_speaker: dict[str, Sequence[str]], size: int = CHUNK_WORDS) -> list[list[str]]:
    """Each speaker's lines, in order, cut into chunks of `size` words (a shorter tail is dropped)."""
    chunks = []
    for texts in texts_by_speaker.values():
        stream = words_of(texts)
        chunks += [stream[start:start + size] for start in range(0, len(stream) - size + 1, size)]
    return chunks


class DeltaSpace:
    """The most frequent words of a reference corpus with their means and spreads, to score texts against."""

    def __init__(self, chunks: list[list[str]], mfw: int = MFW) -> None:
        if len(chunks) < MIN_CHUNKS:
            raise ValueError(f"{len(chunks)} reference chunks; Burrows' Delta needs at least {MIN_CHUNKS}")
        totals = Counter(word for chunk in chunks for word in chunk)
        self.words = [word for word, _ in totals.most_common(mfw)]
        rows = [_frequencies(chunk, self.words) for chunk in chunks]
        self.means = [sum(column) / len(rows) for column in zip(*rows)]
        self.stds = [max(_std(column, mean), 1e-9) for column, mean in zip(zip(*rows), self.means)]

    def z_scores(self, text_words: Sequence[str]) -> list[float]:
        return [(value - mean) / std for value, mean, std
                in zip(_frequencies(text_words, self.words), self.means, self.stds)]

    def delta(self, a: Iterable[str], b: Iterable[str]) -> float | None:
        """Delta between two texts given as word lists (None when either has no words)."""
        a, b = list(a), list(b)
        if not a or not b:
            return None
        za, zb = self.z_scores(a), self.z_scores(b)
        return sum(abs(x - y) for x, y in zip(za, zb)) / len(za)


def _frequencies(text_words: Sequence[str], vocabulary: list[str]) -> list[float]:
    counts = Counter(text_words)
    total = max(1, len(text_words))
    return [counts[word] / total for word in vocabulary]


def _std(column: Sequence[float], mean: float) -> float:
    return math.sqrt(sum((value - mean) ** 2 for value in column) / max(1, len(column) - 1))


MATCHED_MAX_WORDS = 1000  # longer samples are cut into chunks of this size
MATCHED_MAX_CHUNKS = 10
# Below this, Delta says nothing: on P&P, chunks of Elizabeth's own lines score closer to her held-out lines than
# the base model's replies do in 37 % of pairs at 150 words (worse than chance), 62 % at 300, 86 % at 500, 95 % at 750.
MIN_DELTA_WORDS = 500


def matched_deltas(space: DeltaSpace, samples: dict[str, list[str]], target: list[str]) -> tuple[dict[str, float | None], int]:
    """Delta of each sample (a word list) to `target`, on equal lengths, and that length in words.

    Delta falls as a sample grows (its frequencies settle), so samples of different lengths
    cannot be compared: each is cut into consecutive chunks as long as the shortest sample
    (at most MATCHED_MAX_WORDS words) and its Delta is the mean over its chunks. Below MIN_DELTA_WORDS
    every Delta is None (the length is still returned, to say why).
    """
    lengths = [len(sample) for sample in samples.values() if sample]
    if not lengths or not target:
        return dict.fromkeys(samples), 0
    size = min(min(lengths), MATCHED_MAX_WORDS)
    if size < MIN_DELTA_WORDS:
        return dict.fromkeys(samples), size
    result: dict[str, float | None] = {}
    for name, sample in samples.items():
        chunks = [sample[start:start + size] for start in range(0, len(sample) - size + 1, size)][:MATCHED_MAX_CHUNKS]
        values = [space.delta(chunk, target) for chunk in chunks]
        result[name] = round(sum(values) / len(values), 3) if values else None
    return result, size


def change_p_value(space: DeltaSpace, before: Sequence[Sequence[str]], after: Sequence[Sequence[str]],
                   target: list[str], *, draws: int = DRAWS, seed: int = 0) -> float | None:
    """How often the change Delta(after) - Delta(before) is matched by chance (`paired.paired_permutation_p`).

    `before` and `after` are two models' replies (word lists) to the same probes in the same order. None when
    Delta cannot be measured (under MIN_DELTA_WORDS).
    """
    def change(before: list[Sequence[str]], after: list[Sequence[str]]) -> float | None:
        samples = {"before": [w for reply in before for w in reply], "after": [w for reply in after for w in reply]}
        values, _ = matched_deltas(space, samples, target)
        return None if None in values.values() else values["after"] - values["before"]

    return paired_permutation_p(before, after, change, draws=draws, seed=seed)
