"""Play scripts -> speech turns.

A play is a run of paragraphs that start with a speaker label (`HAMLET.`, `Ham.`,
`1 Clown.`, `Ros. and Guil.`, or script style `ROSA:`), either on its own line or at
the start of the speech. Stage directions (`[Enter ...]`, `Exit.`, `Exeunt`) are cut out of the
speech and kept as the context of the next turn; ACT and SCENE headings end a
scene, and turns carry their scene label so exchanges never cross one.

Labels are found by shape and then confirmed by recurrence: a label that is used
once at the start of a paragraph (`Mr. Darcy said...`) is not a speaker, a label
used again and again is. Abbreviated labels are expanded to the names of the
dramatis personae when the play lists them (`Ham.` -> `Hamlet`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from botsmith.extract.turns import SpeechTurn, Utterance

_NAME = r"[A-Z][A-Za-z'’-]*\.?"  # each word may be abbreviated; the whole label ends with a period
_PREFIX = r"(?:\d+|I{1,3}|First|Second|Third|Fourth|Fifth|FIRST|SECOND|THIRD|[A-Z]\.)"
LABEL = rf"(?:{_PREFIX}\s+)?{_NAME}(?:\s+{_NAME})?(?:\s+(?:and|&|AND)\s+{_NAME})?(?:(?<=\.)|:)"
# A label alone on its line, maybe followed by a direction: "Oph. [Sings.]"
OWN_LINE = re.compile(rf"^[ \t]*(?P<label>{LABEL})[ \t]*(?:\[[^\]\n]*\]?)?[ \t]*$")
INLINE = re.compile(rf"^[ \t]*(?P<label>{LABEL})[ \t]+(?=\S)")
HEADING = re.compile(r"^[ \t]*(?:ACT|Act)[ \t]+(?:[IVXLC]+|\d+|[A-Z][a-z]+)\b|^[ \t]*(?:SCENE|Scene)[ \t]+(?:[IVXLC]+|\d+)\b"
                     r"|^[ \t]*(?:PROLOGUE|EPILOGUE|Prologue|Epilogue)\.?[ \t]*$")
ACT = re.compile(r"^[ \t]*(?:ACT|Act)\b")
DIRECTION_LINE = re.compile(r"^[ \t]*(?:_?(?:Exit|Exeunt|Exit\.|Manet|Flourish|Alarum|Sennet)\b[^\n]*"
                            r"|_?(?:Enter|Re-enter|Reenter)[ \t]+[A-Z][^\n]*)$")
BRACKET = re.compile(r"\[[^\]]*\]|\[[^\n]*")
NOT_NAMES = {"Exit", "Exeunt", "Enter", "Scene", "SCENE", "Act", "ACT", "Chapter", "CHAPTER", "Mr", "Mrs", "Ms", "Dr",
             "St", "Mme", "Mlle", "Messrs", "The", "THE", "A", "An", "Re-enter", "Manet", "Prologue", "Epilogue", "PROLOGUE",
             "EPILOGUE", "Yes", "No", "Oh", "O", "Ay", "Well", "Nay", "Ah", "Why", "What", "Come"}
PERSONAE_HEADING = re.compile(r"persons represented|dramatis person|characters in the play", re.IGNORECASE)
MAX_ABBREVIATION = 5  # letters: longer labels (Sailor, Servant) are names already
MIN_LABELLED = 6  # paragraphs: fewer than this is not a play, whatever the density
MIN_DENSITY = 0.35  # share of text paragraphs that open with a speaker label


@dataclass
class Paragraph:
    start: int
    end: int
    text: str

    def lines(self) -> list[tuple[int, str]]:
        """(offset, line) for each line of the paragraph."""
        result, offset = [], self.start
        for line in self.text.split("\n"):
            result.append((offset, line))
            offset += len(line) + 1
        return result


def paragraphs(text: str) -> list[Paragraph]:
    """Blocks separated by blank lines, with their offsets."""
    result = []
    for match in re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text):
        result.append(Paragraph(match.start(), match.end(), match.group()))
    return result


def _label_of(paragraph: Paragraph) -> tuple[str, bool] | None:
    """The candidate label opening a paragraph and whether it sits on a line of its own."""
    first = paragraph.text.split("\n", 1)[0]
    own = OWN_LINE.match(first)
    if own and "\n" in paragraph.text and _plausible(own.group("label")):
        return own.group("label"), True
    inline = INLINE.match(first)
    if inline and _plausible(inline.group("label")):
        return inline.group("label"), False
    return None


def _plausible(label: str) -> bool:
    words = label.replace(".", " ").replace(":", " ").split()
    return bool(words) and len(label) <= 32 and words[0] not in NOT_NAMES and label.endswith((".", ":"))


def speaker_labels(text: str) -> Counter[str]:
    """Labels opening paragraphs, counted: a label on a line of its own counts at once, one
    at the start of a speech only when it recurs (a paragraph may start with `Mr. Darcy.`)."""
    counts: Counter[str] = Counter()
    own_line: set[str] = set()
    for paragraph in paragraphs(text):
        found = _label_of(paragraph)
        if found:
            counts[_key(found[0])] += 1
            if found[1]:
                own_line.add(_key(found[0]))
    return Counter({label: n for label, n in counts.items() if n >= 2 or label in own_line})


def _key(label: str) -> str:
    """`Ham.` and `Ham. ` are one label; inner periods stay (`P. Queen`, `Mar. and Ber`)."""
    return " ".join(label.split()).rstrip(".:")


def play_score(text: str) -> float:
    """Share of text paragraphs that open with a recurring speaker label (0 for prose)."""
    labels = speaker_labels(text)
    labelled = sum(labels.values())
    if labelled < MIN_LABELLED or len(labels) < 2:
        return 0.0
    return labelled / max(1, len(paragraphs(text)))


def looks_like_play(text: str) -> bool:
    return play_score(text) >= MIN_DENSITY


@dataclass
class _State:
    scene: str = ""
    act: str = ""
    speaker: str | None = None
    turn: SpeechTurn | None = None
    directions: list[str] | None = None
    unattributed: int = 0


def extract_play(text: str):
    """Speech turns of a play script; utterance offsets index into `text`."""
    from botsmith.extract import DialogueResult

    labels = speaker_labels(text)
    names = _name_map(text, labels)
    state, turns = _State(directions=[]), []
    for paragraph in paragraphs(text):
        _read_paragraph(paragraph, labels, names, state, turns)
    turns = [turn for turn in turns if turn.utterances]
    warnings = []
    if not labels:
        warnings.append("no speaker labels found: this does not look like a play script")
    if state.unattributed:
        warnings.append(f"{state.unattributed} paragraphs of text had no speaker and were skipped")
    return DialogueResult(turns=turns, convention="play", warnings=warnings)


def _read_paragraph(paragraph: Paragraph, labels: Counter[str], names: dict[str, str], state: _State,
                    turns: list[SpeechTurn]) -> None:
    first = paragraph.text.split("\n", 1)[0]
    heading_match = HEADING.match(first)
    if heading_match:
        heading = " ".join(heading_match.group().split())
        state.act = heading if ACT.match(first) else state.act
        state.scene = heading if ACT.match(first) else f"{state.act} {heading}".strip()
        state.turn, state.directions = None, []
        return
    if _is_direction(paragraph.text):  # the speech may go on after it: the turn stays open
        state.directions.append(" ".join(paragraph.text.split()))
        return
    found = _label_of(paragraph)
    if found and _key(found[0]) in labels:
        label, own_line = found
        body_start = paragraph.start + (len(first) + 1 if own_line else INLINE.match(first).end())
        state.turn = SpeechTurn(speaker=names.get(_key(label), _key(label)), utterances=[],
                                context=" ".join(state.directions), scene=state.scene)
        state.directions = []
        turns.append(state.turn)
        _add_speech(paragraph, body_start, state.turn)
    elif state.turn is not None:  # a speech going on after a blank line or a stage direction
        _add_speech(paragraph, paragraph.start, state.turn)
        state.directions = []
    elif turns or state.scene:
        state.unattributed += 1


def _is_direction(block: str) -> bool:
    stripped = block.strip()
    if stripped.startswith("[") and BRACKET.fullmatch(stripped):
        return True
    return all(DIRECTION_LINE.match(line) for line in block.split("\n") if line.strip())


def _add_speech(paragraph: Paragraph, body_start: int, turn: SpeechTurn) -> None:
    """Each line of speech (minus bracketed directions) becomes one utterance with exact offsets."""
    body = paragraph.text[body_start - paragraph.start:]
    cuts = [(m.start(), m.end()) for m in BRACKET.finditer(body)]
    position = 0
    for cut_start, cut_end in [*cuts, (len(body), len(body))]:
        _add_lines(body, position, cut_start, body_start, turn)
        position = cut_end


def _add_lines(body: str, start: int, end: int, base: int, turn: SpeechTurn) -> None:
    for match in re.finditer(r"[^\n]+", body[start:end]):
        line = match.group()
        if DIRECTION_LINE.match(line):
            continue
        stripped = line.strip()
        if stripped:
            begin = base + start + match.start() + (len(line) - len(line.lstrip()))
            turn.utterances.append(Utterance(begin, begin + len(stripped), stripped))


def _name_map(text: str, labels: Counter[str]) -> dict[str, str]:
    """Label -> display name: abbreviations expanded to a unique dramatis persona, CAPITALS title-cased."""
    personae = _personae(text)
    words = [label for label in labels if " " not in label]
    result = {}
    for label in labels:
        parts = [part.rstrip(".") for part in re.split(r"\s+(?:and|&|AND)\s+", label)]
        result[label] = " and ".join(_expand(part, personae, words) for part in parts)
    return result


def _expand(part: str, personae: list[str], labels: list[str]) -> str:
    """`Ham` -> `Hamlet` when one name (or a chain like Guil/Guild/Guildenstern) extends it."""
    if " " not in part and len(part) <= MAX_ABBREVIATION and part not in personae:
        longer = sorted({c for c in personae + labels if c.lower().startswith(part.lower()) and len(c) > len(part)}, key=len)
        if longer and all(longer[-1].lower().startswith(c.lower()) for c in longer):
            part = longer[-1]
    return part.title() if part.isupper() else part


def _personae(text: str) -> list[str]:
    """First names of the dramatis personae list before the first ACT (empty when there is none)."""
    act = re.search(r"^[ \t]*(?:ACT|Act)[ \t]+(?:[IVXLC]+|\d+|[A-Z][a-z]+)\b", text, re.MULTILINE)
    heading = PERSONAE_HEADING.search(text, 0, act.start() if act else 0)
    if not act or not heading:
        return []
    names = []
    for line in text[heading.end():act.start()].splitlines():
        for item in line.split(","):
            words = [w for w in re.findall(r"[A-Za-z'’-]+", item) if w[0].isupper() and w not in {"A", "An", "The", "Two"}]
            if words:
                names.append(words[0])
    return names
