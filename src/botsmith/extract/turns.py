"""What dialogue extractors (novels, plays) produce: speech turns with provenance.

A turn is everything one speaker says before another speaker speaks. Its `spans`
are the exact character ranges of the spoken words in the source text (attribution
tags and narration excluded), so `text` can always be checked against the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Utterance:
    """One contiguous piece of quoted speech: text == source[start:end]."""

    start: int
    end: int
    text: str
    sentence_start: bool = False  # the narration before it ended a sentence (`..." said he. "He only...`)


@dataclass
class SpeechTurn:
    speaker: str | None  # None where the speaker could not be determined
    utterances: list[Utterance]
    context: str = ""  # narration just before the turn, optional context for training
    scene: str = ""  # chapter or act/scene label; exchanges never cross a scene
    extra: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The speech as the author wrote it, tags left out: `"...his own arts," said Fitzwilliam.
        "He only told me..."` reads `...his own arts. He only told me...`; `"Yes," said he, "I
        will."` reads `Yes, I will.`"""
        pieces: list[str] = []
        for utterance in self.utterances:
            words = utterance.text.strip()
            if not words:
                continue
            if pieces and utterance.sentence_start and pieces[-1].endswith(","):
                pieces[-1] = pieces[-1][:-1] + "."  # the comma only stood before the tag
            pieces.append(words)
        return " ".join(pieces)

    @property
    def start(self) -> int:
        return self.utterances[0].start

    @property
    def end(self) -> int:
        return self.utterances[-1].end
