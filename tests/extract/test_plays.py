"""Play scripts: speaker labels, stage directions, scenes, names, exact offsets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from botsmith.extract.plays import extract_play, looks_like_play, play_score

FIXTURES = Path(__file__).parent / "fixtures" / "plays"


def _check_offsets(text, result):
    for turn in result.turns:
        for utterance in turn.utterances:
            assert text[utterance.start:utterance.end] == utterance.text


def test_labels_on_their_own_line_with_directions_and_scenes():
    text = (FIXTURES / "lighthouse.txt").read_text()
    result = extract_play(text)
    _check_offsets(text, result)
    assert result.convention == "play"
    speakers = [turn.speaker for turn in result.turns]
    # abbreviations expanded through the dramatis personae
    assert speakers[:4] == ["Marguerite", "Tobias", "Marguerite", "Tobias"]
    assert set(speakers) == {"Marguerite", "Tobias", "Inspector"}
    first = result.turns[0]
    assert first.text == "The wick is trimmed and the oil is full. We shall have light till morning."
    assert first.context == "[Enter Marguerite and Tobias.]"
    assert first.scene == "ACT I Scene I"
    assert result.turns[-1].scene == "ACT I Scene II"
    assert result.turns[3].text == "She never doubts. I doubt for both of us."  # "[Aside.]" cut out
    every_word = " ".join(turn.text for turn in result.turns)
    for direction in ("Exit", "Exeunt", "Enter", "Knocking", "[", "]"):
        assert direction not in every_word
    assert len(result.turns) == 14


def test_labels_at_the_start_of_the_speech():
    text = (FIXTURES / "inline_caps.txt").read_text()
    result = extract_play(text)
    _check_offsets(text, result)
    assert [t.speaker for t in result.turns[:3]] == ["Rosa", "Jonas", "Rosa"]
    assert result.turns[2].text == "It is not in the tin. Look."
    assert result.turns[2].utterances[0].text == "It is not in the tin."
    assert [t.scene for t in result.turns].count("ACT 1 SCENE 2") == 3
    assert result.turns[-3].context == "Enter JONAS, carrying a lamp."


def test_script_style_colon_labels():
    text = (FIXTURES / "inline_caps.txt").read_text().replace("ROSA.", "ROSA:").replace("JONAS.", "JONAS:")
    result = extract_play(text)
    _check_offsets(text, result)
    assert [(t.speaker, t.text) for t in result.turns[:2]] == [
        ("Rosa", "Where did you put the bread?"), ("Jonas", "In the tin, where it always goes.")]
    assert looks_like_play(text)


def test_a_paragraph_after_a_stage_direction_continues_the_speech():
    text = "Ham.\nFirst words.\n\n[Exit Ghost.]\n\nMore words.\n\nHor.\nAnswer.\n\nHam.\nAgain.\n\nHor.\nYes.\n"
    result = extract_play(text)
    assert [(t.speaker, t.text) for t in result.turns][:2] == [("Ham", "First words. More words."), ("Hor", "Answer.")]


def test_prose_is_not_a_play():
    prose = "\n\n".join(["Mr. Darcy looked at her.", "“Yes,” said she.", "Mrs. Bennet sighed. It was late."] * 20)
    assert play_score(prose) == 0.0 and not looks_like_play(prose)
    assert looks_like_play((FIXTURES / "lighthouse.txt").read_text())


def test_text_without_labels_gives_no_turns_and_a_warning():
    result = extract_play("Just some prose.\n\nAnd more of it.\n")
    assert result.turns == [] and "no speaker labels" in result.warnings[0]


@pytest.mark.corpora
def test_hamlet(corpora):
    text = (corpora / "hamlet.txt").read_text(encoding="utf-8")
    assert looks_like_play(text)
    result = extract_play(text)
    _check_offsets(text, result)
    speakers = Counter(turn.speaker for turn in result.turns)
    assert speakers.most_common(3) == [("Hamlet", 358), ("Horatio", 108), ("King", 102)]
    assert {"Polonius", "Ophelia", "Laertes", "Rosencrantz", "Guildenstern", "Marcellus", "Bernardo"} <= set(speakers)
    assert len(result.turns) > 1100 and not result.warnings
    assert len({turn.scene for turn in result.turns}) == 20  # 5 acts, 20 scenes
    assert result.turns[0].speaker == "Bernardo" and result.turns[0].text == "Who's there?"
    text_of_all = " ".join(turn.text for turn in result.turns)
    assert "[" not in text_of_all and "Exeunt" not in text_of_all


def test_modern_gutenberg_layout():
    text = ("Dramatis Personæ\n\nHAMLET, Prince of Denmark.\nBARNARDO, an officer.\nFRANCISCO, a soldier.\n\n"
            "ACT I\n\nSCENE I. Elsinore. A platform before the Castle.\n\n"
            " Enter Francisco and Barnardo, two sentinels.\n\nBARNARDO.\nWho’s there?\n\n"
            "FRANCISCO.\nNay, answer me. Stand and unfold yourself.\n\nBARNARDO.\nLong live the King!\n\n"
            "FRANCISCO.\nBarnardo? [_Aside._] He comes most carefully.\n\n [_Exit._]\n\n"
            "BARNARDO.\nHe is gone.\n\nFRANCISCO.\nNot yet.\n")
    result = extract_play(text)
    _check_offsets(text, result)
    assert [t.speaker for t in result.turns] == ["Barnardo", "Francisco"] * 3
    assert result.turns[0].context == "Enter Francisco and Barnardo, two sentinels."
    assert result.turns[3].text == "Barnardo? He comes most carefully."
    assert {t.scene for t in result.turns} == {"ACT I SCENE I"}
