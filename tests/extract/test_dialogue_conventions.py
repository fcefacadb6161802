"""One annotated story rendered in every quote convention must give back the same speech.

This is how the extractor is judged: annotated novels rendered in several conventions.
The story has apostrophes that look like quotes (I'm, Dinah'll, 'em, 'tis, o'clock, the
girls'), a nested quotation, a speech interrupted by its tag, a speech over two
paragraphs, a written notice, a quoted letter, pronoun tags and an untagged exchange.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from botsmith.extract import extract_dialogue

# Paragraphs of ("q", speech) / ("n", narration) / ("x", quoted but not speech) pieces.
# `{...}` is a quotation nested inside the speech; `~` marks a paragraph whose speech goes on
# in the next paragraph (the multi-paragraph rule). Gold speaker per speech paragraph.
STORY = [
    ([("n", "It was a cold morning at Longbourn, and the fire had gone out.")], None),
    ([("q", "Have you heard the news, Mr. Bennet?"), ("n", "said Mrs. Bennet.")], "Mrs. Bennet"),
    ([("q", "I have not,"), ("n", "replied he, without looking up.")], "Mr. Bennet"),
    ([("q", "The girls' cousin is coming at four o'clock, and I'm sure he'll stay till 'tis dark.")], "Mrs. Bennet"),
    ([("q", "Then we shall see 'em all at dinner,"), ("n", "said Mr. Bennet, folding his paper;"),
      ("q", "and Dinah'll want her share of the fish.")], "Mr. Bennet"),
    ([("q", "Lizzy says the sign read {No dogs allowed} and she laughed at it.")], "Mrs. Bennet"),
    ([("q", "I will tell you a story,"), ("n", "said Mr. Bennet."), ("q~", "It begins in the north.")], "Mr. Bennet"),
    ([("q", "It is a long one, and it ends at the sea.")], "Mr. Bennet"),
    ([("n", "On the door was a card, marked"), ("x", "PRIVATE"), ("n", "in red ink.")], None),
    ([("n", "Jane came in with a letter, which ran as follows:--")], None),
    ([("x~", "My dear Lizzy, I shall be home on Tuesday with the books.")], None),
    ([("x", "Yours ever, JANE.")], None),
    ([("q", "Well, Jane is coming home,"), ("n", "said Elizabeth,"),
      ("q", "and she'll bring the girls' books.")], "Elizabeth"),
    ([("q", "Good!"), ("n", "cried Mrs. Bennet.")], "Mrs. Bennet"),
    ([("q", "I'm glad,"), ("n", "said she,"), ("q", "very glad.")], "Elizabeth"),
    ([("q", "And what do you say, Mr. Bennet?")], "Mrs. Bennet"),
    ([("q", "Nothing at all,"), ("n", "he answered.")], "Mr. Bennet"),
    ([("n", "Elizabeth turned to her sister when she came in and said:"), ("q", "Welcome home, Jane.")], "Elizabeth"),
]

MARKS = {  # convention: (open, close, nested open, nested close, apostrophe, inner space)
    "double-curly": ("“", "”", "‘", "’", "’", ""),
    "double-straight": ('"', '"', "'", "'", "'", ""),
    "single-curly": ("‘", "’", "“", "”", "’", ""),
    "single-straight": ("'", "'", '"', '"', "'", ""),
    "guillemets": ("«", "»", "“", "”", "'", "\u00a0"),
    "german": ("„", "“", "‚", "‘", "’", ""),
}


def render(convention: str) -> tuple[str, list[tuple[str, int, str]]]:
    """The story's text in a convention, and the gold (speech, paragraph number, speaker) list."""
    paragraphs, gold = [], []
    for number, (pieces, speaker) in enumerate(STORY):
        parts = []
        for kind, words in pieces:
            if convention == "dash":
                parts.append(_dash_piece(kind, words, parts))
            else:
                opening, closing, nested_open, nested_close, apostrophe, space = MARKS[convention]
                words = words.replace("'", apostrophe).replace("{", nested_open).replace("}", nested_close)
                if kind == "n":
                    parts.append(words)
                else:
                    end = "" if kind.endswith("~") else space + closing
                    parts.append(opening + space + words + end)
            if kind.startswith("q"):
                gold.append((_squash(pieces_text(kind, words, convention)), number, speaker))
        paragraphs.append(" ".join(parts).replace(" —", " —") if convention != "dash" else "".join(parts))
    return "CHAPTER I.\n\n" + "\n\n".join(paragraphs) + "\n", gold


def pieces_text(kind: str, words: str, convention: str) -> str:
    if convention == "dash":
        return words.replace("{", "“").replace("}", "”")
    return words


def _dash_piece(kind: str, words: str, parts: list[str]) -> str:
    words = words.replace("{", "“").replace("}", "”")
    if kind == "n":
        return (" —" + words.rstrip(".,;:-") + "—. ") if parts else words + " "
    if kind.startswith("x"):
        return "“" + words + ("" if kind.endswith("~") else "”") + " "
    if parts and parts[-1].endswith("—. "):
        return words  # Spanish style: —Yes —said he—. And more.
    return "—" + words


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _extracted(text: str, convention: str):
    result = extract_dialogue(text)
    assert result.convention == convention
    rows = []
    for turn_number, turn in enumerate(result.turns):
        for utterance in turn.utterances:
            assert text[utterance.start:utterance.end] == utterance.text
            rows.append((_squash(utterance.text), turn_number, turn.speaker))
    return result, rows


@pytest.mark.parametrize("convention", [*MARKS, "dash"])
@pytest.mark.parametrize("layout", ["unwrapped", "wrapped-crlf"])
def test_every_convention_gives_back_the_annotated_speech(convention: str, layout: str) -> None:
    text, gold = render(convention)
    if layout == "wrapped-crlf":
        blocks = text.split("\n\n")
        text = "\r\n\r\n".join("\r\n".join(textwrap.wrap(b, 40)) for b in blocks)
    result, rows = _extracted(text, convention)
    assert [r[0] for r in rows] == [g[0] for g in gold]
    # a dash speech over two paragraphs cannot be told from a reply: skip that paragraph's speaker
    continued = {n + 1 for n, (pieces, _) in enumerate(STORY) if any(k.endswith("~") for k, _ in pieces)}
    keep = [i for i, g in enumerate(gold) if convention != "dash" or g[1] not in continued]
    assert [rows[i][2] for i in keep] == [gold[i][2] for i in keep]
    if convention != "dash":
        gold_turns = _turn_partition([(g[2]) for g in gold])
        assert _turn_partition([r[1] for r in rows]) == gold_turns
        assert len(result.exchanges()) == len(set(gold_turns)) - 1


def _turn_partition(labels: list) -> list[int]:
    """Turn index per utterance: runs of equal labels share one."""
    out, turn = [], -1
    for i, label in enumerate(labels):
        if i == 0 or label != labels[i - 1]:
            turn += 1
        out.append(turn)
    return out


def test_forced_convention_overrides_detection() -> None:
    text, _ = render("double-straight")
    result = extract_dialogue(text, quotes="single-straight")
    assert result.convention == "single-straight"
    assert all("Bennet" not in u.text or "Mr. Bennet?" in u.text for t in result.turns for u in t.utterances)


def test_a_text_without_quotations_is_not_said_to_use_german_ones() -> None:
    result = extract_dialogue("Nobody speaks here.\n\nNor here, in the second paragraph.\n")
    assert result.convention == "double-curly" and not result.turns
