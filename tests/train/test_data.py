"""Tokenization with loss masks, packing and batching."""

from __future__ import annotations

import json

import pytest

from botsmith.chat_format import chat_format_for
from botsmith.errors import BotsmithError
from botsmith.models.load import load_tokenizer
from botsmith.train.data import IGNORE, Tokenizer, load_split, tokenize_dataset
from botsmith.train.packing import MicroBatch, Row, collate, epoch_batches, fixed_batches, pack, single_rows


@pytest.fixture
def tok(tiny_llama):
    tokenizer = load_tokenizer(tiny_llama)
    return Tokenizer(tokenizer, chat_format_for(tokenizer), max_length=128)


def trained_text(tok, example) -> str:
    return tok.tokenizer.decode([i for i, label in zip(example.input_ids, example.labels) if label != IGNORE])


def test_conversation_loss_only_on_assistant_turns_with_end_of_turn(tok):
    record = {"messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hello there"},
                           {"role": "assistant", "content": "hi cat"}, {"role": "user", "content": "sit"},
                           {"role": "assistant", "content": "on the mat"}]}
    example = tok.example(record)
    trained = trained_text(tok, example)
    assert "hi cat<|im_end|>" in trained and "on the mat<|im_end|>" in trained
    for context in ("be kind", "hello there", "sit", "assistant", "user"):
        assert context not in trained
    assert tok.tokenizer.decode(example.input_ids) == tok.chat_format.render(record["messages"], add_generation_prompt=False)


def test_system_prompt_is_context(tiny_llama):
    tokenizer = load_tokenizer(tiny_llama)
    tok = Tokenizer(tokenizer, chat_format_for(tokenizer).with_system("you are a cat"), max_length=128)
    example = tok.example({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]})
    assert "you are a cat" in tokenizer.decode(example.input_ids)
    assert "you are a cat" not in trained_text(tok, example)


def test_rejected_replies_mark_the_token_where_they_part_from_the_reply(tok):
    record = {"messages": [{"role": "user", "content": "Are you a machine?"},
                           {"role": "assistant", "content": "No, I am Tobias the cat.",
                            "rejected": ["No, I am a machine.", "Yes, I am.", "No, I am an engine."]}]}
    example = tok.example(record)
    plain = tok.example({"messages": [record["messages"][0], {"role": "assistant", "content": "No, I am Tobias the cat."}]})
    assert (example.input_ids, example.labels, plain.unwanted) == (plain.input_ids, plain.labels, ())
    decode = tok.tokenizer.decode
    parted = [(decode(example.input_ids[:index]).rsplit("\n", 1)[-1], decode([token])) for index, token in example.unwanted]
    assert [(before, word.startswith(token)) for (before, token), word in zip(sorted(parted), ("Yes", " a", " an"))] \
        == [("", True), ("No, I am", True), ("No, I am", True)]  # the tiny tokenizer may cut "Yes" into pieces
    assert all(example.labels[index] == example.input_ids[index] for index, _ in example.unwanted)  # in the reply


def test_rejected_replies_past_the_cut_are_dropped(tiny_llama):
    tokenizer = load_tokenizer(tiny_llama)
    record = {"messages": [{"role": "user", "content": "who"},
                           {"role": "assistant", "content": "I am Tobias.", "rejected": ["Yes.", "I am a cat."]}]}
    full = Tokenizer(tokenizer, chat_format_for(tokenizer), max_length=128).example(record)
    early, late = full.unwanted
    cut = Tokenizer(tokenizer, chat_format_for(tokenizer), max_length=late[0]).split("train", [record])
    assert cut.examples[0].unwanted == (early,)


def test_prompt_completion_trains_completion_and_eos(tok):
    example = tok.example({"prompt": "the cat", "completion": " sat on the mat"})
    assert example.input_ids[-1] == tok.tokenizer.eos_token_id
    assert trained_text(tok, example).startswith(" sat on the mat")
    assert "the cat" not in trained_text(tok, example).replace("sat", "")


def test_text_trains_every_token_without_eos(tok):
    example = tok.example({"text": "the cat sat"})
    assert all(label == token for label, token in zip(example.labels, example.input_ids))
    assert tok.tokenizer.eos_token_id not in example.input_ids


def test_truncation_is_counted_and_empty_targets_dropped(tiny_llama):
    tokenizer = load_tokenizer(tiny_llama)
    tok = Tokenizer(tokenizer, chat_format_for(tokenizer), max_length=12)
    long_user = {"messages": [{"role": "user", "content": "the cat " * 20}, {"role": "assistant", "content": "hi"}]}
    split = tok.split("train", [{"text": "the cat sat " * 20}, long_user, {"text": "the mat"}])
    assert (split.truncated, split.dropped, len(split.examples)) == (2, 1, 2)
    assert max(len(example) for example in split.examples) == 12


def test_dataset_for_another_mode_is_refused(tmp_path):
    (tmp_path / "train.jsonl").write_text(json.dumps({"text": "a story"}) + "\n")
    with pytest.raises(BotsmithError, match="train.jsonl record 1: a 'text' record, but this bot's mode is 'chat'"):
        load_split(tmp_path / "train.jsonl", "chat")


def test_empty_and_missing_datasets_are_clear(tmp_path, tok):
    with pytest.raises(BotsmithError, match="no dataset"):
        tokenize_dataset(tmp_path, tok, "completion")
    (tmp_path / "train.jsonl").write_text("\n")
    with pytest.raises(BotsmithError, match="the dataset is empty"):
        tokenize_dataset(tmp_path, tok, "completion")


def test_max_length_shorter_than_every_example(tmp_path, tiny_llama):
    tokenizer = load_tokenizer(tiny_llama)
    tok = Tokenizer(tokenizer, chat_format_for(tokenizer), max_length=8)
    convo = {"messages": [{"role": "user", "content": "the cat sat on the mat " * 3}, {"role": "assistant", "content": "x"}]}
    (tmp_path / "train.jsonl").write_text(json.dumps(convo) + "\n")
    with pytest.raises(BotsmithError, match="no example has anything to learn within max_length=8"):
        tokenize_dataset(tmp_path, tok, "dialogue")


def test_packing_fills_rows_and_never_splits_examples(tok):
    examples = [tok.example({"text": "the cat sat on the mat " * n}) for n in (1, 2, 3, 4, 5, 1, 1)]
    rows = pack(examples, 64)
    assert sorted(id(e) for row in rows for e in row.examples) == sorted(id(e) for e in examples)
    assert all(len(row) <= 64 for row in rows) and len(rows) < len(examples)


def test_collate_restarts_positions_and_masks_boundaries(tok):
    a, b = tok.example({"text": "the cat"}), tok.example({"text": "sat on the mat"})
    batch = epoch_batches([Row((a, b)), Row((b,))], 2, seed=0, epoch=0, group_by_length=False)[0]
    tensors = collate(batch, pad_id=0)
    row = next(i for i, r in enumerate(batch.rows) if len(r.examples) == 2)
    positions = tensors["position_ids"][row].tolist()
    assert positions == list(range(len(a))) + list(range(len(b)))
    assert tensors["labels"][row, len(a)] == IGNORE  # b's first token is not predicted from a
    single = 1 - row
    assert tensors["labels"][single, len(b):].eq(IGNORE).all()  # padding carries no loss
    assert batch.targets == (len(a) - 1) + 2 * (len(b) - 1)


def test_collate_places_unwanted_tokens_in_their_rows(tok):
    a = tok.example({"text": "the cat"})
    b = tok.example({"messages": [{"role": "user", "content": "who"},
                                  {"role": "assistant", "content": "I am Tobias.", "rejected": ["I am a cat."]}]})
    (index, token), = b.unwanted
    tensors = collate(MicroBatch((Row((a, b)), Row((b,)))), pad_id=0)
    assert tensors["unwanted"].tolist() == [[0, len(a) + index, token], [1, index, token]]
    assert tensors["input_ids"][0, len(a) + index] == b.input_ids[index]
    assert collate(MicroBatch((Row((a,)),)), pad_id=0)["unwanted"].shape == (0, 3)


def test_batch_order_depends_only_on_seed_and_epoch(tok):
    rows = single_rows([tok.example({"text": "the cat " * n}) for n in range(1, 30)])
    first = epoch_batches(rows, 4, seed=3, epoch=0, group_by_length=True)
    assert first == epoch_batches(rows, 4, seed=3, epoch=0, group_by_length=True)
    assert first != epoch_batches(rows, 4, seed=3, epoch=1, group_by_length=True)
    assert sum(len(batch.rows) for batch in first) == len(rows)
    fixed = fixed_batches(rows, 4)  # evaluation: grouped by length, so little is padded
    assert all(max(map(len, a.rows)) <= min(map(len, b.rows)) for a, b in zip(fixed, fixed[1:]))
