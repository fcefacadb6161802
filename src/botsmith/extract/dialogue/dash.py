"""Dash dialogue: a paragraph that opens with a dash is speech (—Yes —said he—. I will.).

There is no closing mark, so the speech runs to the end of the paragraph unless a dash
hands over to narration: a dash after a space and before a word (Spanish `—dijo él`),
or a spaced dash, or an inline `, said he,` whose words are an attribution tag. The
narration ends at the next dash, and the speech resumes after it.
"""

from __future__ import annotations

import re

from botsmith.extract.dialogue.attribution import cue_after, is_bare_tag
from botsmith.extract.dialogue.layout import Paragraph
from botsmith.extract.dialogue.scan import Quote

_OPENING = re.compile(r"[ \t]*(?:—|―|–|--)[ \t]*")
_AFTER_COLON = re.compile(r":[ \t\r\n]*(?:—|―|–|--)[ \t]*")  # Elizabeth said: —Welcome home.
_DASH = re.compile(r"—|―|–|--")
_INLINE_TAG = re.compile(r"(?<=[,!?])\s+(?=[^,.!?;:]{2,50}[,.;:](?:\s|$))")


def scan_dash(text: str, paragraphs: list[Paragraph]) -> tuple[list[Quote], int]:
    """Speech in dash-convention paragraphs (no quote can be unbalanced here)."""
    quotes: list[Quote] = []
    for index, para in enumerate(paragraphs):
        opening = _OPENING.match(text, para.start, para.end) or _AFTER_COLON.search(text, para.start, para.end)
        if opening is None:
            continue
        for n, (start, end) in enumerate(_speech_pieces(text, opening.end(), para.end)):
            quote = _trimmed(text, start, end, index, opening.start() if n == 0 else start - 1)
            if quote is not None:
                # where narration takes over plays the closing mark: the tag is read after it
                quote.close_mark = end if end < para.end else None
                quotes.append(quote)
    return quotes, 0


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
    """The first dash after which narration (an attribution tag) follows."""
    for dash in _DASH.finditer(text, pos, end):
        before = text[dash.start() - 1] if dash.start() > pos else ""
        after = text[dash.end():dash.end() + 1]
        spaced_before = before.isspace()
        if spaced_before and after[:1].isalpha() and after[:1].islower():
            return dash  # —Hola —dijo Juan—.
        if cue_after(text[dash.end():min(end, dash.end() + 120)]) is not None and (spaced_before or after.isspace()):
            return dash
    return None


def _trimmed(text: str, start: int, end: int, paragraph: int, open_mark: int) -> Quote | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    return Quote(start, end, paragraph, open_mark, None)
