"""What dialogue extraction returns: speech turns, the quote convention, warnings, counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from botsmith.extract.turns import SpeechTurn


@dataclass
class DialogueResult:
    turns: list[SpeechTurn]
    convention: str  # e.g. "double-curly", "single-straight", "dash", "guillemets", "german", "play"
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)  # paragraphs, quotes dropped as letters/notices...
    other_names: dict[str, list[str]] = field(default_factory=dict)  # speaker -> aliases (Elizabeth -> Lizzy, ...)

    @property
    def utterances(self) -> int:
        return sum(len(turn.utterances) for turn in self.turns)

    @property
    def speakers(self) -> list[str]:
        """Named speakers, most frequent first."""
        counts: dict[str, int] = {}
        for turn in self.turns:
            if turn.speaker:
                counts[turn.speaker] = counts.get(turn.speaker, 0) + 1
        return sorted(counts, key=lambda name: -counts[name])

    def exchanges(self) -> list[tuple[SpeechTurn, SpeechTurn]]:
        """Adjacent turns of one scene with a real change of speaker (an input and its response)."""
        pairs = []
        for first, second in zip(self.turns, self.turns[1:]):
            if first.scene == second.scene and speaker_id(first) != speaker_id(second):
                pairs.append((first, second))
        return pairs

    def spans(self) -> list[dict]:
        """The raw utterance spans, one dict per utterance, numbered by turn (the --spans format)."""
        rows = []
        for number, turn in enumerate(self.turns):
            for utterance in turn.utterances:
                rows.append({"start": utterance.start, "end": utterance.end, "text": utterance.text,
                             "turn": number, "speaker": turn.speaker})
        return rows


def speaker_id(turn: SpeechTurn) -> str:
    """Who speaks, as an identity: unnamed speakers keep a private id so they still differ."""
    return str(turn.extra.get("speaker_id") or turn.speaker or id(turn))
