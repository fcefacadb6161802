"""Speech turns -> conversation records (input -> response pairs and multi-turn windows).

Rules, in order:
- Exchanges never cross a scene or chapter (`group`), nor a turn whose speaker is
  unknown unless alternation proves it is someone else (A ? A: the ? is not A).
- Consecutive turns by the same speaker are merged into one turn: two speeches by
  one person are never an input and its response.
- With a character, that character's turns are the assistant and everyone else is
  the user (with `name`); unknown speakers are never the assistant.
- Without one, every change of speaker is an exchange: the responder is the
  assistant, the speakers before are users with their names; the system message
  says "You are <responder>." unless the bot has its own system prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from botsmith.extract.dialogue.attribution import first_name_gender
from botsmith.extract.turns import SpeechTurn
from botsmith.records import conversation, turn


@dataclass
class ExchangeOptions:
    character: str | None = None
    pairs: bool = True
    window_turns: int = 6  # 0-2: pairs only
    context: bool = False
    system_prompt: str = ""


@dataclass
class Said:
    """A merged turn: one speaker, the text, and its extent in the source."""

    speaker: str | None
    text: str
    start: int
    end: int
    context: str = ""
    sources: list[SpeechTurn] = field(default_factory=list)


@dataclass
class ExchangeCounts:
    utterances: int = 0
    turns: int = 0  # after merging consecutive turns of one speaker
    pairs: int = 0
    windows: int = 0
    dropped_unknown: int = 0


def runs_of(turns: Iterable[SpeechTurn], group_of: Callable[[SpeechTurn], str | None], *,
            drop_unknown: bool = False) -> list[tuple[str, list[Said]]]:
    """Split turns into runs that exchanges may span: same group and scene, no doubtful speaker between.

    `drop_unknown` (a character's dataset) leaves every line of an unknown speaker out: nobody
    can say it is not the character's."""
    runs: list[tuple[str, list[SpeechTurn]]] = []
    key = None
    for item in turns:
        group = group_of(item)
        if group is None or not item.text:
            key = None
            continue
        if (group, item.scene) != key:
            runs.append((group, []))
            key = (group, item.scene)
        runs[-1][1].append(item)
    result = []
    for group, run in runs:
        result.extend((group, piece) for piece in _split_at_doubtful(run, drop_unknown))
    return result


def _split_at_doubtful(run: list[SpeechTurn], drop_unknown: bool) -> list[list[Said]]:
    """Merge same-speaker turns; keep an unknown speaker only between two turns of one other speaker, or where
    the narration pointed at someone it did not name (`One morning, ... she said to Elizabeth,--`): as the other
    side of an exchange, never as the bot."""
    pieces: list[list[Said]] = [[]]
    for index, item in enumerate(run):
        doubtful = item.speaker is None and not item.extra.get("someone_else")
        if doubtful and (drop_unknown or not _alternation_proves_other(run, index)):
            pieces.append([])  # a boundary: nothing is paired across it
            continue
        current = pieces[-1]
        if current and _who(item) is not None and _who(current[-1].sources[-1]) == _who(item):
            _merge(current[-1], item)
        else:
            current.append(Said(item.speaker, _one_line(item.text), item.start, item.end, item.context, [item]))
    return [piece for piece in pieces if piece]


def _who(item: SpeechTurn) -> str | None:
    """The speaker, or for someone the narration did not name, who they are in the book's extraction."""
    return item.speaker or (item.extra.get("speaker_id") if item.extra.get("someone_else") else None)


def _alternation_proves_other(run: list[SpeechTurn], index: int) -> bool:
    before = run[index - 1].speaker if index > 0 else None
    after = run[index + 1].speaker if index + 1 < len(run) else None
    return before is not None and before == after


def _one_line(text: str) -> str:
    """Line breaks of the source (wrapped prose, verse) become spaces: a chat turn is one flowing text."""
    return " ".join(text.split())


def _merge(said: Said, item: SpeechTurn) -> None:
    said.text = f"{said.text} {_one_line(item.text)}"
    said.end = max(said.end, item.end)
    said.sources.append(item)


HONORIFICS = {"mr", "mrs", "miss", "ms", "dr", "sir", "lady", "lord", "madam", "master", "mistress", "colonel",
              "captain", "the"}


def _name_parts(name: str) -> tuple[set[str], set[str]]:
    """(words that name the person, honorifics) of a speaker name, case and periods ignored."""
    words = {word.strip(".,").casefold() for word in name.split()} - {""}
    return words - HONORIFICS, words & HONORIFICS


def character_matcher(character: str, speakers: Iterable[str]) -> Callable[[str | None], bool]:
    """Which speaker names are the character: the same name, or one that contains every word of it
    (`Elizabeth` ~ `Elizabeth Bennet`, `Darcy` ~ `Mr. Darcy`); an honorific given must agree (`Mrs. Bennet`
    is not `Mr. Bennet` nor `Jane Bennet`, but is `Bennet`). Joint speakers (`Ros. and Guil.`) are never the character.
    Several names separated by commas are one character (`Henry, Mr. Tilney`: a book may name a man both ways)."""
    speakers = list(speakers)
    matched = set()
    for name in (part.strip() for part in character.split(",")):
        matched |= {speaker for speaker in speakers if _is_named(speaker, name)}
    return lambda speaker: speaker in matched


def _is_named(speaker: str, name: str) -> bool:
    if speaker.casefold() == name.casefold():
        return True
    core, titles = _name_parts(name)
    their_core, their_titles = _name_parts(speaker)
    if " and " in speaker.casefold() or not core or not core <= their_core:
        return False
    if _wife_of(name, speaker) or _wife_of(speaker, name):
        return False
    return not titles or titles == their_titles or (not their_titles and their_core == core)


def _wife_of(married: str, man: str) -> bool:
    """`Mrs. John Dashwood` is the wife of `John Dashwood`, never him: a married name names her husband."""
    words = married.split()
    return (len(words) >= 3 and words[0].rstrip(".").casefold() == "mrs" and first_name_gender(words[1]) == "m"
            and man.split()[:1] == words[1:2])


def build_exchanges(runs: list[tuple[str, list[Said]]], source: str, options: ExchangeOptions,
                    is_character: Callable[[str | None], bool] | None = None) -> tuple[list[dict], ExchangeCounts]:
    """Conversation records from runs of merged turns (see the module doc for the rules)."""
    counts = ExchangeCounts()
    records: list[dict] = []
    for group, said in runs:
        counts.turns += len(said)
        counts.utterances += sum(len(item.utterances) for s in said for item in s.sources)
        for window in _exchanges(said, options, is_character):
            kind = "pair" if len(window) == 2 else "window"
            records.append(_record(window, source, group, kind, options, is_character))
            counts.pairs += kind == "pair"
            counts.windows += kind == "window"
    return records, counts


def _exchanges(said: list[Said], options: ExchangeOptions, is_character) -> list[list[Said]]:
    result = []
    if options.pairs:
        for prev, cur in zip(said, said[1:]):
            if _responder_ok(cur, is_character) and not _is_assistant(prev, cur.speaker, is_character):
                result.append([prev, cur])
    if options.window_turns > 2:
        result.extend(w for w in _windows(said, options.window_turns, is_character) if len(w) > 2 or not options.pairs)
    return result


def _responder_ok(said: Said, is_character) -> bool:
    if said.speaker is None:
        return False  # an unknown speaker is never the assistant
    return is_character is None or is_character(said.speaker)


def _is_assistant(said: Said, responder: str | None, is_character) -> bool:
    if said.speaker is None:
        return False
    return is_character(said.speaker) if is_character else said.speaker == responder


def _windows(said: list[Said], size: int, is_character) -> list[list[Said]]:
    """Non-overlapping windows of at most `size` turns, each starting on a user and ending on an assistant turn."""
    windows, start = [], 0
    while start < len(said):
        end = min(start + size, len(said)) - 1
        while end > start and not (_responder_ok(said[end], is_character)
                                   and not _is_assistant(said[start], said[end].speaker, is_character)):
            end -= 1
        if end > start:
            windows.append(said[start:end + 1])
            start = end + 1
        else:
            start += 1
    return windows


def _record(window: list[Said], source: str, group: str, kind: str, options: ExchangeOptions, is_character) -> dict:
    responder = window[-1].speaker
    messages = []
    system = _system_message(window, responder, options)
    if system:
        messages.append(turn("system", system))
    for said in window:
        if _is_assistant(said, responder, is_character):
            messages.append(turn("assistant", said.text))
        else:
            messages.append(turn("user", said.text, said.speaker))
    speakers = list(dict.fromkeys(s.speaker for s in window if s.speaker))
    return conversation(messages, source=source, start=min(s.start for s in window), end=max(s.end for s in window),
                        group=group, kind=kind, speakers=speakers)


def _system_message(window: list[Said], responder: str | None, options: ExchangeOptions) -> str:
    persona = options.system_prompt or (f"You are {responder}." if responder else "")
    context = window[0].context.strip() if options.context else ""
    return f"{persona}\n\n{context}".strip() if context else persona
