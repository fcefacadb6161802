"""The shared novels: both editions of Alice agree, the raw and cleaned Pride and Prejudice agree."""

from __future__ import annotations

import difflib
import re

from botsmith.extract import extract_dialogue
from botsmith.sources.encoding import decode_text


def _utterances(text: str) -> list[tuple[str, str | None]]:
    result = extract_dialogue(text)
    rows = []
    for turn in result.turns:
        for utterance in turn.utterances:
            assert text[utterance.start:utterance.end] == utterance.text
            rows.append((utterance.text, turn.speaker))
    return rows


def _normal(text: str) -> str:
    """Editions differ in quotes, italics (_very_ / VERY) and line breaks, not in words."""
    return re.sub(r"[\W_]+", "", text.lower())


def _agreement(a: list, b: list) -> tuple[float, float]:
    matcher = difflib.SequenceMatcher(None, [_normal(x[0]) for x in a], [_normal(x[0]) for x in b], autojunk=False)
    blocks = matcher.get_matching_blocks()
    same = sum(block.size for block in blocks)
    speakers = sum(1 for block in blocks for k in range(block.size) if a[block.a + k][1] == b[block.b + k][1])
    return same / max(len(a), len(b)), speakers / max(1, same)


def test_both_editions_of_alice_yield_the_same_utterances(corpora) -> None:
    curly = _utterances((corpora / "alice_in_wonderland.txt").read_text(encoding="utf-8"))
    straight = _utterances((corpora / "alice_in_wonderland.straight-quotes.txt").read_text(encoding="utf-8"))
    utterances, speakers = _agreement(curly, straight)
    # what differs is the editions' own text: a poem quoted line by line in one and as a block in the other
    assert utterances >= 0.98, utterances
    assert speakers >= 0.98, speakers
    assert extract_dialogue((corpora / "alice_in_wonderland.straight-quotes.txt").read_text()).convention \
        == "single-straight"


def test_raw_cp1252_crlf_and_cleaned_pride_and_prejudice_agree(corpora) -> None:
    raw = decode_text((corpora / "pride_and_prejudice.raw-cp1252-crlf.txt").read_bytes()).text
    assert "\r\n" in raw
    clean = (corpora / "pride_and_prejudice.txt").read_text(encoding="utf-8")
    utterances, speakers = _agreement(_utterances(raw), _utterances(clean))
    assert utterances >= 0.995 and speakers >= 0.99


def test_pride_and_prejudice_front_matter_and_letters_are_left_out(corpora) -> None:
    result = extract_dialogue((corpora / "pride_and_prejudice.txt").read_text(encoding="utf-8"))
    texts = [u.text for t in result.turns for u in t.utterances]
    assert not any("Be not alarmed, madam" in t for t in texts)  # Darcy's letter
    assert not any(t.strip() == "On the stairs" for t in texts)  # list of illustrations
    assert result.turns[0].utterances[0].text == "My dear Mr. Bennet,"
    assert result.turns[0].speaker == "Mrs. Bennet"
    assert {"Elizabeth", "Mr. Darcy", "Mrs. Bennet", "Mr. Bennet", "Jane"} <= set(result.speakers)


RENDER = {  # convention: (open, close, nested open, nested close, apostrophe)
    "double-straight": ('"', '"', "'", "'", "'"),
    "single-curly": ("‘", "’", "“", "”", "’"),
    "single-straight": ("'", "'", '"', '"', "'"),
    "guillemets": ("«", "»", "“", "”", "’"),
    "german": ("„", "“", "‚", "‘", "’"),
}


def render(text: str, convention: str) -> str:
    """A curly-quoted book re-typeset in another convention (how unseen books will be tested)."""
    opening, closing, nested_open, nested_close, apostrophe = RENDER[convention]
    out, inside, nested = [], False, False
    for i, char in enumerate(text):
        if char == "“":
            out.append(opening)
            inside = True
        elif char == "”":
            out.append(closing)
            inside = nested = False
        elif char == "‘" and inside:
            out.append(nested_open)
            nested = True
        elif char == "’" and nested and not text[i + 1:i + 2].isalpha():
            out.append(nested_close)
            nested = False
        else:
            out.append(apostrophe if char == "’" else char)
    return "".join(out)


def test_alice_rendered_in_every_convention_gives_the_same_speech(corpora) -> None:
    original = (corpora / "alice_in_wonderland.txt").read_text(encoding="utf-8")
    reference = _utterances(original)
    for convention in RENDER:
        rendered = render(original, convention)
        assert extract_dialogue(rendered).convention == convention
        utterances, speakers = _agreement(reference, _utterances(rendered))
        assert utterances >= 0.99 and speakers >= 0.99, (convention, utterances, speakers)
