"""Small cleaned sources for dataset tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import re
from pathlib import Path

from botsmith.bot_folder import new_bot
from botsmith.sources.cleaned import Chapter, CleanSource, save_clean_source

PLAYS = Path(__file__).resolve().parents[1] / "extract" / "fixtures" / "plays"

STORY_CHAPTERS = [
    "The keeper climbed the stair at dusk. The lamp was cold and the glass was dark. He struck a match.\n\n"
    "Wind pressed at the windows. Somewhere below, the sea turned over stones. He counted them by ear.\n\n"
    "By nine the light was turning. He sat by it and wrote the date in the log, as his father had.",
    "In the morning a boat came round the point. It carried a woman in a grey coat and a box of letters.\n\n"
    "She did not wave. She tied the boat and climbed the rocks as if she had done it many times.\n\n"
    "He met her at the door. Neither spoke of the weather; there was too much of it to mention.",
    "They read the letters at the table. Most were bills. One was from the Board, and it was brief.\n\n"
    "The light would be automated in the spring. A man would come to fit the clockwork and the bell.\n\n"
    "He folded the letter twice and put it under the log book, where the date was still wet.",
]

NOVEL = (
    "“Is the lamp lit?” asked Ada.\n\n"
    "“Since dusk,” said Tom. “It always is.”\n\n"
    "“Then why is the harbour dark?” said Ada.\n\n"
    "Tom looked out of the window for a long time.\n\n"
    "“The harbour has its own keeper,” he said at last. “Ask him.”\n\n"
    "“I asked him yesterday,” said Ada, “and he told me to ask you.”\n\n"
    "“Then we are both asked,” said Tom, “and neither of us knows.”\n\n"
)


def chaptered(source_id: str, chapters: list[str], title: str = "", **meta) -> CleanSource:
    """A cleaned source in the sources stage's layout: title paragraph, then the chapter body."""
    text, spans = "", []
    for index, body in enumerate(chapters, start=1):
        text += f"CHAPTER {index}\n\n"
        start = len(text)
        text += body
        spans.append(Chapter(f"CHAPTER {index}", start, len(text)))
        text += "\n\n"
    return CleanSource(source_id, text, spans, {"title": title or source_id, **meta})


def play_source(source_id: str, path: Path) -> CleanSource:
    """A play kept as it is, each scene a chapter."""
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^Scene ", text, re.MULTILINE)]
    spans = [Chapter(f"Scene {i + 1}", a, b) for i, (a, b) in enumerate(zip(starts, [*starts[1:], len(text)]))]
    return CleanSource(source_id, text, spans, {"title": path.stem})
