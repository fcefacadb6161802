"""Streaming detokenisation and stop strings."""

from __future__ import annotations

import pytest

from botsmith.chat.detokenize import REPLACEMENT, IncrementalDecoder, StopFilter
from tests.conftest import TINY_TOKENIZER


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(TINY_TOKENIZER))


@pytest.mark.parametrize("text", ["naïve café, déjà vu", "日本語のテキスト", "emoji 🙂🎉 and ü", "plain words\nnew line"])
def test_incremental_decoding_matches_full_decode(tokenizer, text):
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > len(text.split())  # multi-byte characters really are split across tokens here
    decoder = IncrementalDecoder(tokenizer)
    pieces = [decoder.push(token) for token in ids] + [decoder.flush()]
    assert "".join(pieces) == tokenizer.decode(ids) == text
    assert not any(REPLACEMENT in piece for piece in pieces)


def test_half_a_character_waits_for_the_rest(tokenizer):
    ids = tokenizer("🙂", add_special_tokens=False)["input_ids"]
    assert len(ids) >= 2
    decoder = IncrementalDecoder(tokenizer)
    assert [decoder.push(token) for token in ids[:-1]] == [""] * (len(ids) - 1)
    assert decoder.push(ids[-1]) == "🙂"


def feed(stop_filter: StopFilter, pieces: list[str]) -> str:
    return "".join(stop_filter.push(piece) for piece in pieces) + stop_filter.flush()


def test_stop_string_split_across_pieces_is_never_emitted():
    stop = StopFilter(["<|im_end|>"])
    assert feed(stop, ["Hello", " there<|im", "_en", "d|>\n<|im_start|>user"]) == "Hello there"
    assert stop.stopped


def test_text_that_only_looks_like_a_stop_is_released():
    stop = StopFilter(["User:"])
    assert stop.push("Dear Use") == "Dear "  # "Use" might become "User:"
    assert stop.push("d cars") == "Used cars"
    assert stop.flush() == "" and not stop.stopped


def test_earliest_of_several_stops_wins():
    assert feed(StopFilter(["\n\n", "END"]), ["one END two\n\nthree"]) == "one "
