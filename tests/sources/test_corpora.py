"""Integration: the real texts in ../shared/corpora, cleaned end to end."""

from __future__ import annotations

import re

import pytest

from botsmith.sources import clean_text

pytestmark = pytest.mark.corpora

P_AND_P_FIRST = "It is a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife."
P_AND_P_LAST = ("they were both ever sensible of the warmest gratitude towards the persons who, by bringing her "
                "into Derbyshire, had been the means of uniting them.")


def clean(corpora, name):
    return clean_text((corpora / name).read_bytes(), name=name)


def body_start(result):
    return result.text[result.chapters[0].start:]


@pytest.mark.parametrize("name", ["pride_and_prejudice.txt", "pride_and_prejudice.raw-cp1252-crlf.txt"])
def test_pride_and_prejudice_is_the_novel_only(corpora, name):
    result = clean(corpora, name)
    assert result.text.startswith("Chapter I.\n\n" + P_AND_P_FIRST)
    assert body_start(result).startswith(P_AND_P_FIRST)
    assert result.text.rstrip().endswith(P_AND_P_LAST)
    assert len(result.chapters) == 61
    assert result.chapters[1].title == "CHAPTER II." and result.chapters[-1].title == "CHAPTER LXI."
    for stray in ("Illustration", "GEORGE SAINTSBURY", "Walt Whitman", "CHISWICK PRESS", "Gutenberg", "THE END",
                  "Heading to Chapter", "_"):
        assert stray not in result.text, stray
    kinds = {entry.what for entry in result.removed}
    assert {"title page", "preface", "contents", "illustration", "the end", "colophon"} <= kinds


def test_raw_download_loses_header_footer_and_keeps_its_encoding(corpora):
    result = clean(corpora, "pride_and_prejudice.raw-cp1252-crlf.txt")
    assert (result.encoding, result.newline, result.gutenberg) == ("cp1252", "\r\n", True)
    assert result.fields["title"] == "Pride and Prejudice" and result.fields["author"] == "Jane Austen"
    assert result.removed[0].what == "gutenberg header" and result.removed[-1].what == "gutenberg licence footer"
    assert "\r" not in result.text and "“My dear Mr. Bennet,” said his lady to him one day" in result.text


def test_paragraphs_are_unwrapped(corpora):
    result = clean(corpora, "pride_and_prejudice.txt")
    paragraphs = result.text.split("\n\n")
    assert all("\n" not in paragraph for paragraph in paragraphs[:200])
    assert ("However little known the feelings or views of such a man may be on his first entering a "
            "neighbourhood, this truth is so well fixed") in result.text


@pytest.mark.parametrize("name", ["alice_in_wonderland.txt", "alice_in_wonderland.straight-quotes.txt"])
def test_alice_keeps_its_chapters_and_poems(corpora, name):
    result = clean(corpora, name)
    assert result.text.startswith("CHAPTER I. Down the Rabbit-Hole\n\nAlice was beginning to get very tired")
    assert result.text.rstrip().endswith("remembering her own child-life, and the happy summer days.")
    assert len(result.chapters) == 12 and result.chapters[-1].title.startswith("CHAPTER XII. Alice")
    assert re.search(r"How doth the little crocodile\nImprove his shining tail,", result.text)
    assert "Contents" not in result.text and "THE END" not in result.text


def test_hamlet_stays_a_play(corpora):
    result = clean(corpora, "hamlet.txt")
    assert result.kind == "play"
    assert result.text.startswith("PERSONS REPRESENTED.\n\nClaudius, King of Denmark.\nHamlet, Son to the former")
    assert result.text[result.chapters[0].start:].startswith(
        "[Francisco at his post. Enter to him Bernardo.]\n\nBer.\nWho's there?\n\nFran.\n"
        "Nay, answer me: stand, and unfold yourself.")
    assert "\n\nACT I.\n\nScene I. Elsinore. A platform before the Castle.\n\n" in result.text
    assert result.text.rstrip().endswith("[Exeunt, bearing off the dead bodies; after the which a peal of\n"
                                         "ordnance is shot off.]")
    assert len(result.chapters) == 20  # one per scene; the persons come before, in no chapter
    assert result.chapters[0].title == "ACT I. Scene I. Elsinore. A platform before the Castle."
    assert result.chapters[5].title.startswith("Act II. Scene I.")
    assert "Mar.\nHoratio says 'tis but our fantasy,\nAnd will not let belief take hold of him" in result.text
    assert result.persons[0] == "Claudius, King of Denmark." and result.persons[-1] == "SCENE. Elsinore."
    assert [entry.what for entry in result.removed] == ["title page"]
    for chapter in result.chapters:
        assert result.text[chapter.start:chapter.end].strip()


def test_hamlet_cleaned_feeds_the_play_extractor(corpora):
    plays = pytest.importorskip("botsmith.extract.plays")
    result = clean(corpora, "hamlet.txt")
    turns = plays.extract_play(result.text).turns
    assert turns[0].speaker == "Bernardo" and turns[0].utterances[0].text == "Who's there?"
    assert {"Hamlet", "Horatio", "Ophelia"} <= {turn.speaker for turn in turns}


def test_the_corpora_folder_added_to_a_bot(corpora, bot):
    from botsmith.sources import add_files
    from botsmith.sources.cleaned import load_clean_sources

    report = add_files(bot, [corpora], log=lambda line: None)
    assert report.ok and len(report.added) == 6  # five texts and the README
    sources = {source.id: source for source in load_clean_sources(bot / "data/clean")}
    raw = sources["file-pride-and-prejudice-raw-cp1252-crlf"]
    assert raw.meta["title"] == "Pride and Prejudice" and raw.meta["author"] == "Jane Austen"
    assert raw.meta["encoding"] == "cp1252" and raw.meta["newline"] == "\r\n"
    assert raw.text[raw.chapters[0].start:].startswith(P_AND_P_FIRST)
    hamlet = sources["file-hamlet"].meta
    assert hamlet["kind"] == "play" and hamlet["author"] == "William Shakespeare"  # from its title page
    assert hamlet["title"] == "HAMLET, PRINCE OF DENMARK"
