"""Bad and unusual input: warnings with counts, never a crash; offsets always exact."""

from __future__ import annotations

import pytest

from botsmith.errors import BotsmithError
from botsmith.extract import extract_dialogue


def said(result) -> list[str]:
    """Every utterance's words, in order."""
    return [u.text for t in result.turns for u in t.utterances]


def _check_offsets(text: str, result) -> None:
    for turn in result.turns:
        for utterance in turn.utterances:
            assert text[utterance.start:utterance.end] == utterance.text


def test_a_book_without_dialogue_warns_and_returns_nothing() -> None:
    text = "CHAPTER I.\n\n" + "The rain fell on the moor for three days and nobody spoke of it.\n\n" * 40
    result = extract_dialogue(text)
    assert result.turns == []
    assert any("no dialogue found" in w and "characters" in w for w in result.warnings)


@pytest.mark.parametrize("text", ["", "   \n\n  ", "“", "'", "—", "\r\n\r\n"])
def test_degenerate_text_does_not_crash(text: str) -> None:
    result = extract_dialogue(text)
    assert result.turns == []


def test_unbalanced_quotes_are_counted() -> None:
    text = ("“I am going,” said Anne.\n\n“Where to?\n\nShe did not answer, and the door closed behind her.\n\n"
            "“Come back,” cried Tom.\n")
    result = extract_dialogue(text)
    _check_offsets(text, result)
    assert any(w.startswith("1 paragraphs end inside a quotation") for w in result.warnings)
    assert said(result) == ["I am going,", "Where to?", "Come back,"]


def test_a_whole_book_on_one_line() -> None:
    paragraph = "“Is it far?” asked Mary. “Not very,” said John. The road went on over the hill. "
    text = paragraph * 400
    result = extract_dialogue(text)
    _check_offsets(text, result)
    assert result.utterances == 800
    assert {t.speaker for t in result.turns} == {"Mary", "John"}
    assert any("text on one line" in w for w in result.warnings)


def test_non_english_text_warns_about_unknown_speakers() -> None:
    text = "\n\n".join(["«Wohin gehst du?» fragte die Frau am Fenster.", "«Nach Hause», antwortete er leise.",
                        "«Es ist schon spät.»", "«Ich weiß.»"] * 5)
    result = extract_dialogue(text)
    _check_offsets(text, result)
    assert result.convention == "guillemets"
    assert result.utterances == 20
    assert any("no known speaker" in w for w in result.warnings)


def test_unknown_convention_is_a_user_error() -> None:
    with pytest.raises(BotsmithError, match="unknown quote convention"):
        extract_dialogue("“Hi.”", quotes="smart")


def test_crlf_text_keeps_offsets_into_the_original_string() -> None:
    text = "CHAPTER I.\r\n\r\n“Yes,” said he,\r\n“I will.”\r\n\r\n“No,” said\r\nElizabeth.\r\n"
    result = extract_dialogue(text)
    _check_offsets(text, result)
    assert [[u.text for u in t.utterances] for t in result.turns] == [["Yes,", "I will."], ["No,"]]
    assert result.turns[1].speaker == "Elizabeth"


def test_reversed_guillemets_and_german_quotes() -> None:
    german = "„Kommst du?“ fragte Anna.\n\n„Gleich“, sagte Paul, „ich muss noch ‚Adieu‘ sagen.“\n"
    result = extract_dialogue(german)
    assert result.convention == "german"
    assert said(result) == ["Kommst du?", "Gleich", "ich muss noch ‚Adieu‘ sagen."]
    reversed_ = "»Kommst du?« fragte Anna.\n\n»Gleich«, sagte Paul.\n"
    result = extract_dialogue(reversed_)
    assert result.convention == "guillemets"
    assert said(result) == ["Kommst du?", "Gleich"]


def test_letters_and_notices_are_not_speech() -> None:
    text = ("She found a bottle labelled “DRINK ME” on the table, and a card with the words “EAT ME” "
            "beautifully marked in currants.\n\n“I shall drink it,” said Alice.\n\n"
            "The letter from her sister ran as follows:--\n\n“My dear Alice, we miss you.\n\n"
            "“Come home soon.\n\n“Yours, LORINA.”\n\n“What a nice letter,” said Alice.\n\n"
            "She longed to hear herself called “Mrs. Wickham” by everyone, and said “No, never” twice.\n\n"
            "This was the letter, directed to “Charles Smith, Esq. Tunbridge Wells,” which she had kept.\n")
    result = extract_dialogue(text)
    assert said(result) == ["I shall drink it,", "What a nice letter,",
                                                                     "No, never"]
    assert result.stats["not_speech"] == 7


def test_a_letter_headed_by_its_date_and_its_second_part_are_not_speech() -> None:
    text = ("“How is Mary?” said Elizabeth.\n\n“Very well,” said Anne.\n\n"
            "Anne could listen no longer; her letter engrossed her. It had been begun several days back.\n\n"
            "“February 1st.\n\n“My dear Anne,--I make no apology for my silence.\n\n“Mary M---.\n\n"
            "“I am sorry to say that I am very far from well.”\n\n"
            "So ended the first part, which had been afterwards put into an envelope.\n\n"
            "“I kept my letter open, that I might send you word how Louisa bore her journey.”\n\n"
            "Mr. Crawford, under pretence of receiving the note, was coming towards her.\n\n"
            "“Do not hurry yourself,” said he.\n\n“I will not,” said Anne.\n")
    assert said(extract_dialogue(text)) == ["How is Mary?", "Very well,", "Do not hurry yourself,", "I will not,"]


def test_words_quoted_inside_a_sentence_of_narration_are_no_turn() -> None:
    text = ("“You are welcome,” said Mr. Bingley.\n\n"
            "Mr. Hurst also made her a slight bow, and said he was “very glad;” but warmth remained for Bingley.\n\n"
            "“Thank you,” said Elizabeth; “and it was so kind.”\n\n“My dear Mr. Bennet,” replied his wife, “how can you"
            " be so tiresome?”\n\nElizabeth quietly answered “undoubtedly;” and went on.\n\n"
            "She could not avoid hearing many particulars; such as, “how Mr Musgrove had met my brother.”\n")
    result = extract_dialogue(text)
    assert said(result) == [
        "You are welcome,", "Thank you,", "and it was so kind.", "My dear Mr. Bennet,", "how can you be so tiresome?",
        "undoubtedly;"]
    assert result.stats["not_speech"] == 2
