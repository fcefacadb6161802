"""Completion fragments: sentence boundaries, token sizes, overlap, long lines, prompt cuts."""

from __future__ import annotations

import random

import pytest

from botsmith.extract.fragments import Span, TokenCounter, cut_fragments, prompt_cut, sentence_spans

STORY = ("The lamp was lit at dusk. Mr. Hale climbed the stair! Did the wind drop? It did not.\n\n"
         "“Who is there?” she asked. Nobody answered… The sea kept on.\n\n") * 12


@pytest.fixture(scope="module")
def tokenizer(tiny_llama):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_llama))


def test_sentences_keep_abbreviations_and_closing_quotes():
    text = "Mr. Hale came. “Who is there?” she asked. Nobody… The end"
    assert [text[s.start:s.end] for s in sentence_spans(text)] == [
        "Mr. Hale came.", "“Who is there?”", "she asked.", "Nobody…", "The end"]


def test_paragraphs_end_sentences():
    text = "A line without a stop\n\nAnother one"
    assert [text[s.start:s.end] for s in sentence_spans(text)] == ["A line without a stop", "Another one"]


@pytest.mark.parametrize("size, overlap", [(32, 0), (64, 16), (40, 30)])
def test_fragments_fit_start_and_end_on_sentences_and_overlap(tokenizer, size, overlap):
    counter = TokenCounter(tokenizer, STORY)
    fragments = cut_fragments(STORY, 0, len(STORY), counter, size, overlap)
    ends = {s.end for s in sentence_spans(STORY)}
    starts = {s.start for s in sentence_spans(STORY)}
    assert fragments[0].start == 0 and fragments[-1].end == len(STORY.rstrip())
    for previous, fragment in zip(fragments, fragments[1:]):
        assert fragment.start > previous.start
        assert STORY[previous.end:fragment.start].strip() == ""  # no text skipped
        shared = counter.count(fragment.start, previous.end) if fragment.start < previous.end else 0
        assert shared <= overlap
    for fragment in fragments:
        assert len(tokenizer(STORY[fragment.start:fragment.end], add_special_tokens=False)["input_ids"]) <= size
        assert fragment.start in starts and fragment.end in ends


def test_overlap_shares_whole_sentences(tokenizer):
    counter = TokenCounter(tokenizer, STORY)
    fragments = cut_fragments(STORY, 0, len(STORY), counter, 64, 24)
    assert any(b.start < a.end for a, b in zip(fragments, fragments[1:]))


def test_fragments_stay_inside_the_given_chapter(tokenizer):
    start, end = 100, 400
    counter = TokenCounter(tokenizer, STORY, start, end)
    fragments = cut_fragments(STORY, start, end, counter, 32, 8)
    assert all(start <= f.start < f.end <= end for f in fragments)


def test_a_text_on_one_line_without_stops_is_cut_at_words(tokenizer):
    text = " ".join(f"word{i}" for i in range(400))
    counter = TokenCounter(tokenizer, text)
    fragments = cut_fragments(text, 0, len(text), counter, 48, 0)
    assert len(fragments) > 5
    for fragment in fragments:
        piece = text[fragment.start:fragment.end]
        assert counter.count(fragment.start, fragment.end) <= 48
        assert not piece.startswith(" ") and not piece.endswith(" ")
        assert fragment.end == len(text) or text[fragment.end] == " "  # never inside a word
    assert " ".join(text[f.start:f.end] for f in fragments) == text


def test_prompt_cut_is_an_unfinished_sentence():
    text = "Hi. The keeper climbed the long stair at dusk. Then he slept."
    begin, cut = prompt_cut(text, Span(0, len(text)), random.Random(1))
    assert begin == 4  # "Hi." is too short to cut
    prompt, completion = text[begin:cut], text[cut:]
    assert len(prompt.split()) >= 2 and completion.startswith(" ") and "." not in prompt
    assert prompt_cut("Too short.", Span(0, 10), random.Random(1)) is None
