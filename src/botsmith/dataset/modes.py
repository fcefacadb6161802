"""One function per bot mode: cleaned sources (or chat exports) -> records, with a report per source."""

from __future__ import annotations

import bisect
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from botsmith.config import BotConfig
from botsmith.errors import BotsmithError
from botsmith.records import fragment, prompt_completion
from botsmith.sources.cleaned import CleanSource

LONG_PARAGRAPH = 20_000  # characters: a cleaned paragraph this long is probably a whole text on one line


@dataclass
class Persona:
    """Who the bot is: the system prompt of its dataset, and the names it answers to."""

    system_prompt: str | None = None  # None: none, or (dialogue without a character) one per example
    names: list[str] = field(default_factory=list)  # the character's names in the books, or yours in chats


@dataclass
class SourceReport:
    id: str
    title: str = ""
    type: str = "prose"  # prose | play | chat
    chapters: int = 0
    records: int = 0
    utterances: int | None = None  # dialogue counts: None where the mode has no dialogue
    turns: int | None = None
    pairs: int | None = None
    windows: int | None = None
    convention: str = ""
    speakers: dict[str, int] | None = None  # dialogue: turns of the most frequent speakers
    unknown_speaker: int | None = None  # dialogue: turns whose speaker the text does not make sure of
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in ("", [], None)}


def group_key(source: CleanSource, chapter_index: int, split_by: str) -> str:
    return source.id if split_by == "source" else f"{source.id}#{chapter_index}"


def text_warnings(source: CleanSource) -> list[str]:
    """Input that will give poor examples: a whole text on one line, a text that is not English."""
    warnings = []
    longest = max((len(p) for p in source.text.split("\n")), default=0)
    if longest > LONG_PARAGRAPH:
        warnings.append(f"{source.id}: a paragraph of {longest} characters (a whole text on one line?); "
                        "it was cut at sentence boundaries")
    letters = [c for c in source.text[:200_000] if c.isalpha()]
    latin = sum(c.isascii() for c in letters)
    language = str(source.meta.get("language", "")).lower()
    if letters and (latin / len(letters) < 0.8 or language not in ("", "en", "english")):
        warnings.append(f"{source.id}: the text looks non-English ({language or f'{latin}/{len(letters)} ASCII letters'}); "
                        "sentence and quote detection are tuned for English")
    return warnings


def completion_records(sources: list[CleanSource], config: BotConfig, tokenizer: Any,
                       reports: list[SourceReport]) -> list[dict]:
    from botsmith.extract.fragments import TokenCounter, cut_fragments

    options = config.dataset
    if options.overlap_tokens >= options.fragment_tokens:
        raise BotsmithError(f"[dataset] overlap_tokens ({options.overlap_tokens}) must be smaller than fragment_tokens "
                            f"({options.fragment_tokens})")
    records = []
    for source in sources:
        report = _report(source, reports)
        for index, chapter in enumerate(source.chapters):
            counter = TokenCounter(tokenizer, source.text, chapter.start, chapter.end)
            group = group_key(source, index, options.split_by)
            for span in cut_fragments(source.text, chapter.start, chapter.end, counter,
                                      options.fragment_tokens, options.overlap_tokens):
                record = _completion_record(source, span, group, options.prompt_completion, options.seed)
                if record is not None:
                    records.append(record)
                    report.records += 1
    return records


def _completion_record(source: CleanSource, span, group: str, as_pair: bool, seed: int) -> dict | None:
    text = source.text
    if not as_pair:
        return fragment(text[span.start:span.end], source=source.id, start=span.start, end=span.end, group=group,
                        kind="fragment")
    from botsmith.extract.fragments import prompt_cut

    cut = prompt_cut(text, span, random.Random(f"{seed}:{source.id}:{span.start}"))
    if cut is None:
        return None
    begin, middle = cut
    return prompt_completion(text[begin:middle], text[middle:span.end], source=source.id, start=begin,
                             end=span.end, group=group, kind="prompt_completion")


def _report(source: CleanSource, reports: list[SourceReport], kind: str = "prose") -> SourceReport:
    report = SourceReport(source.id, str(source.meta.get("title", "")), kind, len(source.chapters))
    report.warnings.extend(text_warnings(source))
    reports.append(report)
    return report


def dialogue_records(sources: list[CleanSource], config: BotConfig, reports: list[SourceReport],
                     log=print) -> tuple[list[dict], Persona]:
    """(records, who the bot is: without a character, each example's system prompt names its own responder)."""
    from botsmith import system_prompt
    from botsmith.extract.exchanges import ExchangeOptions, build_exchanges, character_matcher, runs_of

    options = ExchangeOptions(config.dataset.character or None, config.dataset.pairs, config.dataset.window_turns,
                              config.dataset.context)
    per_source, other_names = [], {}
    for source in sources:
        result, kind = _speech_turns(source, config.dataset.quotes)
        for speaker, aliases in result.other_names.items():
            other_names.setdefault(speaker, []).extend(a for a in aliases if a not in other_names.get(speaker, []))
        report = _report(source, reports, kind)
        report.convention = result.convention
        quotes = f", quotes {result.convention}" if kind == "prose" else ""
        log(f"  {source.id}: {kind}, {len(result.turns)} speech turns{quotes}")
        report.warnings.extend(f"{source.id}: {warning}" for warning in result.warnings)
        report.unknown_speaker = sum(1 for turn in result.turns if turn.speaker is None)
        runs = runs_of(result.turns, _chapter_lookup(source, config.dataset.split_by),
                       drop_unknown=bool(options.character))
        per_source.append((source, report, runs))
    _require_dialogue(per_source, sources)
    matcher, names = None, []
    if options.character:
        matcher, names = _matcher_for(options.character, per_source, character_matcher, log)
    options.system_prompt = system_prompt.for_build(config, names[0] if names else None) or ""
    records = []
    for source, report, runs in per_source:
        found, counts = build_exchanges(runs, source.id, options, matcher)
        report.utterances, report.turns, report.pairs, report.windows = (
            counts.utterances, counts.turns, counts.pairs, counts.windows)
        report.records = len(found)
        report.speakers = dict(Counter(s.speaker or "(unknown)" for _, said in runs for s in said).most_common(12))
        records.extend(found)
    aliases = [alias for name in names for alias in other_names.get(name, []) if alias not in names]
    return records, Persona(options.system_prompt or None, names + aliases)


def _speech_turns(source: CleanSource, quotes: str):
    from botsmith.extract.plays import extract_play, looks_like_play

    if looks_like_play(source.text):
        return extract_play(source.text), "play"
    from botsmith.extract import extract_dialogue

    return extract_dialogue(source.text, quotes=quotes), "prose"


def _chapter_lookup(source: CleanSource, split_by: str):
    """turn -> its chapter's group, or None when it lies outside every chapter or straddles two."""
    starts = [chapter.start for chapter in source.chapters]

    def group_of(turn) -> str | None:
        index = bisect.bisect_right(starts, turn.start) - 1
        if index < 0 or turn.end > source.chapters[index].end:
            return None
        return group_key(source, index, split_by)

    return group_of


def _require_dialogue(per_source, sources: list[CleanSource]) -> None:
    turns = sum(len(said) for _, _, runs in per_source for _, said in runs)
    if turns == 0:
        detail = ", ".join(f"{s.id}: 0 turns ({r.convention or 'no quotes found'})" for s, r, _ in per_source)
        raise BotsmithError(f"no dialogue found in {len(sources)} source{'s' * (len(sources) != 1)} ({detail})",
                            hint="try --quotes, or make a story bot with mode = \"completion\"")


def _matcher_for(character: str, per_source, character_matcher, log):
    speakers = Counter(s.speaker for _, _, runs in per_source for _, said in runs for s in said if s.speaker)
    matcher = character_matcher(character, speakers)
    matched = [f"{name} ({n} turns)" for name, n in speakers.most_common() if matcher(name)]
    if not matched:
        top = ", ".join(f"{name} ({n})" for name, n in speakers.most_common(8))
        raise BotsmithError(f"[dataset] character '{character}' never speaks in the sources",
                            hint=f"speakers with most turns: {top or 'none'}")
    log(f"Character '{character}' is: {', '.join(matched)}")
    names = [name for name, _ in speakers.most_common() if matcher(name)]
    for line in _other_forms(character, names, speakers, [source.text for source, _, _ in per_source]):
        log(line)
    return matcher, names


def _other_forms(character: str, names: list[str], speakers: Counter, texts: list[str]) -> list[str]:
    """Hints for a speaker who may be the character under a titled name the extractor did not link:
    `Mr. Tilney (41 turns) may be Henry too: the books write 'Henry Tilney' 12 times`."""
    from botsmith.extract.dialogue.aliases import titled_forms
    from botsmith.extract.exchanges import HONORIFICS

    others = [name for name in speakers if name not in names]
    lines = []
    for name in names:
        words = name.split()
        if len(words) > 2 or words[0].rstrip(".").lower() in HONORIFICS:
            continue
        found = Counter()
        for text in texts:
            found.update(titled_forms(words[0], [o for o in others if len(words) == 1 or o.endswith(" " + words[1])],
                                      text))
        for other, count in found.items():
            lines.append(f"  {other} ({speakers[other]} turns) may be {name} too: the books write "
                         f"'{words[0]} {other.split()[1]}' {count} times; if so, build with "
                         f"--character \"{character}, {other}\"")
    return lines


def chat_records(folder, config: BotConfig, reports: list[SourceReport], log=print) -> list[dict]:
    from botsmith.chats import build_chat_examples

    records = build_chat_examples(folder, config, log=log)
    for source, count in Counter(r.get("meta", {}).get("source", "chats") for r in records).items():
        reports.append(SourceReport(str(source), type="chat", records=count))
    return records
