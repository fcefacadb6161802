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


@dataclass
class SpeechTurn:
    speaker: str | None  # None where the speaker could not be determined
    utterances: list[Utterance]
    context: str = ""  # narration just before the turn, optional context for training
    scene: str = ""  # chapter or act/scene label; exchanges never cross a scene
    extra: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(u.text.strip() for u in self.utterances if u.text.strip())

    @property
    def start(self) -> int:
        return self.utterances[0].start

    @property
    def end(self) -> int:
        return self.utterances[-1].end
