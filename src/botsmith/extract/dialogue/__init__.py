"""Dialogue from novels: quoted speech in any common convention, grouped into speaker turns.

Stages, each its own module: `layout` (paragraphs, chapters, front matter), `quotes`
(conventions and their detection), `scan` (balanced reading of quote marks), `dash`
(em-dash dialogue), `notices` (letters and written notices are not speech),
`attribution` (tags such as `said Elizabeth`; titles and, from `given_names`, first names
by gender), `cast` (a book's named speakers, their other
names and gender), `speakers` (who speaks), `grouping` (turns), `pipeline` (the public
entry point).
"""

from __future__ import annotations

from botsmith.extract.dialogue.pipeline import extract_dialogue
from botsmith.extract.dialogue.quotes import CONVENTIONS
from botsmith.extract.dialogue.result import DialogueResult, speaker_id

__all__ = ["CONVENTIONS", "DialogueResult", "extract_dialogue", "speaker_id"]
