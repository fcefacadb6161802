"""Dash dialogue: a paragraph that opens with a dash is speech (—Yes —said he—. I will.).

Speech also starts inside a paragraph at a dash after a space or a colon and before a
word (`Elizabeth said, —Which do you mean?`, `Он сказал: — Да.`), not at a dash between
two words (`word—word`). There is no closing mark, so the speech runs to the end of the
paragraph unless a dash after a space hands over to narration: before a lowercase word
(Spanish `—dijo él`, Russian `, — сказал он`) or before an attribution tag; or an inline
`, said he,` interrupts it. The narration ends at the next dash and the speech resumes.
"""

from __future__ import annotations

import re

from botsmith.extract.dialogue.attribution import cue_after, is_bare_tag
from botsmith.extract.dialogue.layout import Paragraph
from botsmith.extract.dialogue.scan import Quote, trimmed_quote

_OPENING = re.compile(r"[ \t]*(?:—|―|–|--)[ \t]*")
_INNER_DASH = re.compile(r"(?<=[\s:])(?:—|―|–|--)[ \t]?(?=[^\s\-—―–])")
_DASH = re.compile(r"—|―|–|--")
_NARRATION_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ(")
_INLINE_TAG = re.compile(r"(?<=[,!?])\s+(?=[^,.!?;:]{2,50}[,.;:](?:\s|$))")


def scan_dash(text: str, paragraphs: list[Paragraph]) -> tuple[list[Quote], int]:
    """Speech in dash-convention paragraphs (no quote can be unbalanced here)."""
    quotes: list[Quote] = []
    for index, para in enumerate(paragraphs):
        opening = _OPENING.match(text, para.start, para.end) or _inner_opening(text, para.start, para.end)
        if opening is None:
            continue
        for n, (start, end) in enumerate(_speech_pieces(text, opening.end(), para.end)):
            quote = trimmed_quote(text, start, end, index, opening.start() if n == 0 else start - 1, None)
            if quote is not None:
                # where narration takes over plays the closing mark: the tag is read after it
                quote.close_mark = end if end < para.end else None
                quotes.append(quote)
    return quotes, 0


def _inner_opening(text: str, start: int, end: int) -> re.Match[str] | None:
    """Speech after narration: `said, —Which do you mean?`, `thought Alice, —and what`; never `word—word`."""
    for dash in _INNER_DASH.finditer(text, start, end):
        before = text[start:dash.start()].rstrip()[-1:]
        if not text[dash.end()].islower() or before in (",", ":", ";"):
            return dash
    return None


def _speech_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Speech stretches of one paragraph; narration between them is left out."""
    pieces: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        stop, resume_from, direct = _next_break(text, pos, end)
        pieces.append((pos, stop))
        if stop >= end:
            break
        if not direct:
            resume = _DASH.search(text, resume_from, end)
            if resume is None:
                break
            resume_from = resume.end()
        pos = resume_from
        while pos < end and text[pos] in ".,;: \t\r\n":
            pos += 1
    return pieces


def _next_break(text: str, pos: int, end: int) -> tuple[int, int, bool]:
    """Where speech stops, where to look for more, and whether it resumes right there.

    A dash followed by a tag hands over to narration until the next dash; an inline tag
    ending with a comma (`Yes, said he, I will.`) resumes the speech right after it.
    """
    dash = _handover(text, pos, end)
    dash_at = dash.start() if dash else end
    for gap in _INLINE_TAG.finditer(text, pos, dash_at):
        tag_text = text[gap.end():end]
        clause_end = re.search(r"[,.;:!?]", tag_text)
        if clause_end is None or not is_bare_tag(tag_text[:clause_end.start()]):
            continue
        return gap.start(), gap.end() + clause_end.end(), clause_end.group() == ","
    if dash is None:
        return end, end, True
    return dash.start(), dash.end(), False


def _handover(text: str, pos: int, end: int) -> re.Match[str] | None:
    """The first dash after a space that hands over to narration (a lowercase word or a tag follows)."""
    for dash in _DASH.finditer(text, pos, end):
        if dash.start() <= pos or not text[dash.start() - 1].isspace():
            continue  # `word—word` or `think--` is a dash inside the speech
        after = text[dash.end():min(end, dash.end() + 120)]
        word = after.lstrip(" \t")
        sentence_ended = text[:dash.start()].rstrip()[-1:] in (".", "!", "?", "…")
        if word[:1].islower() or word[:1] == "(" or cue_after(after) is not None or (
                sentence_ended and word[:1] in _NARRATION_START):
            return dash  # `—Late! —She ran.` after a full stop, a new sentence after a spaced dash is narration
    return None
