"""clean_text: front and back matter, illustrations, unwrapping, verse, plays, chapters, manifest."""

from __future__ import annotations

import pytest

from botsmith.errors import BotsmithError
from botsmith.sources import clean_text

NOVEL = """\
                              THE OLD INN

                                   by
                              Old Writer

                       LONDON: SMITH AND SONS
                                 1894


CONTENTS

   CHAPTER I.    The Coach
   CHAPTER II.   The Landlord


INTRODUCTION.

_The Old Inn is a book that every reader of the period will know, and
it needs no defence from an editor; but a word on its composition may
still be of use to the student who meets it for the first time._

_A. N. EDITOR._



[Illustration:

   _The yard of the inn._

   [_Copyright 1894._]]



CHAPTER I.
THE COACH


The rain had stopped by the time the coach reached the inn, and the
travellers climbed down stiffly into the yard, glad of the lamps and
of the smell of supper that came from the open door of the kitchen.

"You are _late_," said the landlord, "very late; the well-known
road is bad, and the horses are tired." He pointed up at the sky--
over the hills, where the clouds still hung.

[Illustration: The landlord]

    The owl is abroad, the bat, and the toad,
        And so is the cat-a-mountain;
    The ant and the mole sit both in a hole,
        And frog peeps out o' the fountain.

[Transcriber's Note: the song is printed in italics in the
original.]

CHAPTER II.

THE LANDLORD

The landlord was a large man with a red face, who had kept the house
for thirty years and meant to keep it thirty more.

                                THE END


              PRINTED BY SMITH AND SONS, LTD., LONDON.
"""


@pytest.fixture
def novel():
    return clean_text(NOVEL)


def test_starts_at_the_first_chapter_and_ends_at_the_last_sentence(novel):
    assert novel.text.startswith("CHAPTER I. THE COACH\n\nThe rain had stopped by the time")
    assert novel.text.endswith("meant to keep it thirty more.\n")


def test_front_and_back_matter_is_in_the_manifest(novel):
    kinds = [(entry.what, entry.start_line) for entry in novel.removed]
    assert kinds == [("title page", 1), ("contents", 10), ("introduction", 16), ("illustration", 26),
                     ("illustration", 46), ("transcriber's note", 53), ("the end", 63), ("colophon", 66)]
    assert novel.removed[3].end_line == 30 and "yard of the inn" in novel.removed[3].preview
    for unwanted in ("CONTENTS", "EDITOR", "Illustration", "Transcriber", "THE END", "PRINTED"):
        assert unwanted not in novel.text


def test_prose_is_unwrapped_with_italics_as_plain_words(novel):
    paragraph = ('"You are late," said the landlord, "very late; the well-known road is bad, and the horses are '
                 'tired." He pointed up at the sky--over the hills, where the clouds still hung.')
    assert paragraph + "\n\n" in novel.text


def test_verse_keeps_its_lines(novel):
    assert ("The owl is abroad, the bat, and the toad,\nAnd so is the cat-a-mountain;\n"
            "The ant and the mole sit both in a hole,\nAnd frog peeps out o' the fountain.") in novel.text


def test_chapters_are_structure_with_body_offsets(novel):
    assert [chapter.title for chapter in novel.chapters] == ["CHAPTER I. THE COACH", "CHAPTER II. THE LANDLORD"]
    first, second = novel.chapters
    assert novel.text[first.start:].startswith("The rain had stopped")
    assert novel.text[first.start:first.end].endswith("And frog peeps out o' the fountain.")
    assert novel.text[second.start:second.end] == ("The landlord was a large man with a red face, who had kept "
                                                    "the house for thirty years and meant to keep it thirty more.")
    assert novel.text[first.end:second.start] == "\n\nCHAPTER II. THE LANDLORD\n\n"


def test_heading_inside_an_illustration_caption_is_kept():
    text = ("[Illustration: ·THE OLD INN·\n\n\n\nChapter I.]\n\n\n"
            + "It was late. " * 10 + "\n\nThe end came soon after, and nobody was sorry for it at all.\n")
    result = clean_text(text)
    assert result.chapters[0].title == "Chapter I."
    assert result.text.startswith("Chapter I.\n\nIt was late.")


def test_text_without_headings_is_one_chapter():
    result = clean_text("First line of a note\nthat wraps.\n\nSecond paragraph.\n")
    assert result.text == "First line of a note that wraps.\n\nSecond paragraph.\n"
    assert [(c.title, c.start, c.end) for c in result.chapters] == [("", 0, len(result.text) - 1)]
    assert result.removed == []


def test_unwrapped_text_keeps_one_paragraph_per_line():
    long_line = "This paragraph was never hard-wrapped, so every line of it is a paragraph. " * 3
    result = clean_text(f"{long_line}\n{long_line}\n")
    assert result.text == f"{long_line.strip()}\n\n{long_line.strip()}\n"


def test_crlf_and_bytes_input():
    result = clean_text("Chapter 1\r\n\r\nOne line\r\nand the next.\r\n".encode("cp1252"))
    assert result.newline == "\r\n"
    assert "One line and the next." in result.text


PLAY = "\n".join(["THE TRAGEDY OF TESTING", "", "DRAMATIS PERSONAE", "", "Tom, a tester.", "Ann, a coder.", "",
                  "ACT I.", "", "Scene I. A room.", "", "[Enter Tom and Ann.]", ""]
                 + [f"Tom.\nIs it green?\nSay it is green.\n\nAnn.\nIt is green, line {i}.\n" for i in range(12)]
                 + ["Scene II. Another room.", "", "Tom.\nThen ship it.\n", "[Exeunt.]", ""])


def test_play_keeps_speaker_lines_and_uses_scenes_as_chapters():
    result = clean_text(PLAY)
    assert result.kind == "play"
    assert result.text.startswith("DRAMATIS PERSONAE\n\nTom, a tester.\nAnn, a coder.\n\nACT I.\n\nScene I. A room."
                                  "\n\n[Enter Tom and Ann.]\n\nTom.\nIs it green?\nSay it is green.")
    assert [c.title for c in result.chapters] == ["ACT I. Scene I. A room.", "ACT I. Scene II. Another room."]
    assert result.text.index("ACT I.") == result.chapters[0].start - len("ACT I.\n\nScene I. A room.\n\n")
    assert result.text[result.chapters[1].start:] == "Tom.\nThen ship it.\n\n[Exeunt.]\n"
    assert result.persons == ["Tom, a tester.", "Ann, a coder."]
    assert [e.what for e in result.removed] == ["title page"]


@pytest.mark.parametrize("data, words", [
    (b"", "empty"), ("   \n\n  ", "empty"), (b"\x00\x01\x02binary" * 50, "binary"),
])
def test_unusable_input_is_a_clear_error(data, words):
    with pytest.raises(BotsmithError, match=rf"book\.txt: .*{words}"):
        clean_text(data, name="book.txt")


def test_result_converts_to_a_stored_source(novel):
    source = novel.to_source("file-inn", {"title": "The Old Inn"})
    assert source.meta["removed"][0] == {"what": "title page", "start_line": 1, "end_line": 7,
                                         "preview": "THE OLD INN by Old Writer LONDON: SMITH AND SONS 1894"}
    assert source.meta["title"] == "The Old Inn" and source.meta["kind"] == "prose"


PROSE = ("The rain had stopped by the time the coach reached the inn, and the\n"
         "travellers climbed down stiffly into the yard, glad of the lamps and of\n"
         "the smell of supper that came from the open door of the kitchen.\n")
ROMAN_CHAPTERS = f"""*** START OF THE PROJECT GUTENBERG EBOOK THE INN ***

Produced by Volunteers



                                THE INN

                                  BY

                              OLD WRITER



CONTENTS

I. The Coach

II. The Landlord



PREFACE

{PROSE}
O. W.



I.

THE COACH

{PROSE}
II.

THE LANDLORD

{PROSE}
Transcriber's Notes

Obvious typographical errors have been corrected silently.

*** END OF THE PROJECT GUTENBERG EBOOK THE INN ***
"""
NO_HEADINGS = f"""*** START OF THE PROJECT GUTENBERG EBOOK THE INN ***




                                THE INN

                          A Story in One Sitting

                             by Old Writer

{PROSE}
{PROSE}

*** END OF THE PROJECT GUTENBERG EBOOK THE INN ***
"""


def test_roman_numeral_chapters_after_contents_and_preface():
    result = clean_text(ROMAN_CHAPTERS)
    assert result.text.startswith("I. THE COACH\n\nThe rain had stopped")
    assert result.text.endswith("open door of the kitchen.\n")
    assert [c.title for c in result.chapters] == ["I. THE COACH", "II. THE LANDLORD"]
    assert [e.what for e in result.removed] == ["gutenberg header", "credits", "title page", "contents", "preface",
                                                "transcriber's note", "gutenberg licence footer"]


def test_a_book_without_headings_loses_only_its_title_page():
    result = clean_text(NO_HEADINGS)
    assert result.text.startswith("The rain had stopped") and result.text.count("The rain had stopped") == 2
    assert [e.what for e in result.removed] == ["gutenberg header", "title page", "gutenberg licence footer"]
    assert [c.title for c in result.chapters] == [""]


def test_book_and_chapter_headings_combine():
    result = clean_text(f"BOOK ONE\n\nCHAPTER 1\n\n{PROSE}\nCHAPTER 2\n\n{PROSE}\nBOOK TWO\n\nCHAPTER 3\n\n{PROSE}")
    assert [c.title for c in result.chapters] == ["BOOK ONE CHAPTER 1", "CHAPTER 2", "BOOK TWO CHAPTER 3"]
    assert all(result.text[c.start:c.end].startswith("The rain") for c in result.chapters)


def test_a_character_saying_the_end_does_not_end_the_book():
    text = f"CHAPTER I.\n\n{PROSE}\n“The end.”\n\nThe end.\n\n{PROSE}\n                THE END.\n\nAdvertisement text.\n"
    result = clean_text(text)
    assert "“The end.”\n\nThe end.\n\nThe rain" in result.text
    assert result.text.endswith("open door of the kitchen.\n")


def test_book_the_first_and_title_case_numbered_chapters():
    text = (f"Book the First--Recalled to Life\n\n\n\n\nI. The Period\n\n\n{PROSE}\n\nII. The Mail\n\n\n{PROSE}\n"
            f"1. Buy milk\n\n{PROSE}")
    result = clean_text(text)
    assert [c.title for c in result.chapters] == ["Book the First--Recalled to Life I. The Period", "II. The Mail"]
    assert "\n\n1. Buy milk\n\n" in result.text  # a list item in title-less case is text, not a chapter


def test_heading_glued_to_a_short_first_paragraph():
    result = clean_text(f"CHAPTER I\nIt was late, and the rain had not stopped.\n\n{PROSE}\nCHAPTER II\nNot Yet\n\n{PROSE}")
    assert [c.title for c in result.chapters] == ["CHAPTER I", "CHAPTER II Not Yet"]
    assert result.text.startswith("CHAPTER I\n\nIt was late, and the rain had not stopped.\n\nThe rain had stopped")
    assert "\n\nCHAPTER II Not Yet\n\nThe rain had stopped" in result.text
