"""`extract_dialogue`: a novel's text in, its speech turns (with exact offsets) out."""

from __future__ import annotations

from botsmith.errors import BotsmithError
from botsmith.extract.dialogue.dash import scan_dash
from botsmith.extract.dialogue.grouping import build_turns
from botsmith.extract.dialogue.layout import analyse
from botsmith.extract.dialogue.notices import drop_non_speech, quoted_fragments
from botsmith.extract.dialogue.quotes import CONVENTIONS, convention, detect, guillemets_reversed
from botsmith.extract.dialogue.result import DialogueResult
from botsmith.extract.dialogue.scan import scan_quotes

_ONE_LINE = 20_000  # a paragraph this long is probably a whole book without line breaks


def extract_dialogue(text: str, *, quotes: str = "auto") -> DialogueResult:
    """Quoted speech of a novel grouped into turns by speaker.

    `quotes` is "auto" (detect the book's convention) or one of CONVENTIONS. Every
    utterance's `text == text[start:end]`: offsets index the string given, unchanged.
    """
    if quotes != "auto" and quotes not in CONVENTIONS:
        raise BotsmithError(f"unknown quote convention {quotes!r}", hint="use one of: auto, " + ", ".join(CONVENTIONS))
    layout = analyse(text)
    starts = [p.start for p in layout.paragraphs]
    name, scores = detect(text, starts) if quotes == "auto" else (quotes, {})
    if name == "dash":
        found, unbalanced = scan_dash(text, layout.paragraphs)
    else:
        conv = convention(name, reversed_guillemets=name == "guillemets" and guillemets_reversed(text, starts))
        found, unbalanced = scan_quotes(text, layout.paragraphs, conv)
    speech, dropped = drop_non_speech(text, found, starts)
    turns, other_names = build_turns(text, layout, speech)
    turns, fragments = _without_fragments(turns, quoted_fragments(text, speech, starts))
    result = DialogueResult(turns, name, other_names=other_names, stats={
        "paragraphs": len(layout.paragraphs), "quotations": len(found), "not_speech": dropped + fragments,
        "unbalanced": unbalanced, "front_matter_chars": layout.skipped_front})
    result.warnings = _warnings(text, layout, result, scores)
    return result


def _without_fragments(turns: list, starts: set[int]) -> tuple[list, int]:
    """The turns less the quoted fragments of narration (`said he was “very glad;”`), and how many went."""
    kept, removed = [], 0
    for turn in turns:
        utterances = [u for u in turn.utterances if u.start not in starts]
        removed += len(turn.utterances) - len(utterances)
        if utterances:
            turn.utterances = utterances
            kept.append(turn)
    return kept, removed


def _warnings(text: str, layout, result: DialogueResult, scores: dict[str, float]) -> list[str]:
    warnings = []
    stats = result.stats
    if not result.turns:
        warnings.append(f"no dialogue found in {len(text):,} characters ({stats['paragraphs']} paragraphs, "
                        f"{stats['quotations']} quotations, {stats['not_speech']} of them letters or notices)")
    if stats["unbalanced"]:
        warnings.append(f"{stats['unbalanced']} paragraphs end inside a quotation that is never reopened "
                        f"(unbalanced quotes); their speech runs to the end of the paragraph")
    longest = max((p.end - p.start for p in layout.paragraphs), default=0)
    if longest > _ONE_LINE:
        warnings.append(f"a paragraph of {longest:,} characters (text on one line?): speakers are guessed "
                        f"per tag only, alternation cannot be used")
    if result.turns:
        unnamed = sum(1 for turn in result.turns if turn.speaker is None)
        if unnamed > 0.5 * len(result.turns):
            warnings.append(f"{unnamed} of {len(result.turns)} turns have no known speaker (few English "
                            f"attribution tags such as 'said Alice'; is the text in another language?)")
    ranked = sorted(scores.values(), reverse=True)
    if len(ranked) > 1 and ranked[0] > 20 and ranked[1] > 0.5 * ranked[0]:
        warnings.append(f"quote convention is ambiguous ({result.convention} chosen); pass --quotes to force one")
    return warnings
