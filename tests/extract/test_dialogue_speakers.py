"""Who speaks untagged and loosely tagged speech: one small text per rule, written for the test.

Each text is built so that the rule decides the speaker: without it the extractor names
someone else (the checks below were run against the code before each rule landed).
"""

from __future__ import annotations

from botsmith.extract import extract_dialogue


def speakers(text: str) -> list[str | None]:
    """The speaker of each speech paragraph (its first utterance), in order."""
    found = []
    for span in extract_dialogue(text).spans():
        paragraph_start = text.rfind("\n\n", 0, span["start"])
        if not found or found[-1][0] != paragraph_start:
            found.append((paragraph_start, span["speaker"]))
    return [speaker for _, speaker in found]


def test_a_tag_that_introduces_speech_through_and_saying_or_to_say() -> None:
    text = ("“Good evening,” said Edmund.\n\n“Good evening,” said Mary.\n\n"
            "Mrs. Norris gave the particulars of the letters; but after tea, as Mary was standing at the "
            "window with Edmund, she suddenly revived the subject by turning round towards the group, and saying, "
            "“How happy he looks!”\n\n"
            "Edmund turned farther into the window; and Mary had only time to say, in a pleasant manner, "
            "“I fancy he is thinking of November.”\n")
    assert speakers(text) == ["Edmund", "Mary", "Mary", "Mary"]


def test_someone_who_makes_no_answer_is_answered_by_the_same_speaker() -> None:
    text = ("“Good evening,” said Edmund.\n\n“How quiet the house is to-night,” said Mary.\n\n"
            "Edmund looked round at Mr. Rushworth too, but had nothing to say.\n\n"
            "“Your father's return will be a very interesting event.”\n\n"
            "“It will, indeed, after such an absence.”\n\n"
            "“And a happy one.”\n")
    assert speakers(text) == ["Edmund", "Mary", "Mary", "Edmund", "Mary"]
    named_before = text.replace("Edmund looked round at Mr. Rushworth too, but had nothing to say.",
                                "Then perceiving in Edmund no inclination of replying, Mary looked away.")
    assert speakers(named_before) == ["Edmund", "Mary", "Mary", "Edmund", "Mary"]
