"""build_dataset end to end on small cleaned sources and the tiny model's tokenizer."""

from __future__ import annotations

import hashlib
import json

import pytest
from transformers import AutoTokenizer

from botsmith.bot_folder import open_bot
from botsmith.dataset import build_dataset
from botsmith.errors import BotsmithError
from botsmith.records import read_records
from botsmith.sources.cleaned import Chapter, CleanSource, load_clean_sources

from dataset_samples import NOVEL, PLAYS, STORY_CHAPTERS, chaptered, play_source


def quiet(line: str) -> None:
    pass


def all_records(result):
    return read_records(result.train_path) + read_records(result.validation_path)


def test_completion_fragments_are_sized_in_tokens_and_never_cross_chapters(story_bot, tiny_llama):
    config = open_bot(story_bot).config().with_overrides("dataset", fragment_tokens=80, overlap_tokens=8)
    result = build_dataset(story_bot, config, log=quiet)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_llama))
    sources = {s.id: s for s in load_clean_sources(open_bot(story_bot).clean_dir)}
    records = all_records(result)
    assert len(records) == result.counts["train"] + result.counts["validation"] > 6
    for record in records:
        meta = record["meta"]
        source = sources[meta["source"]]
        assert source.text[meta["start"]:meta["end"]] == record["text"]  # provenance is exact
        assert len(tokenizer(record["text"], add_special_tokens=False)["input_ids"]) <= 80
        chapter = next(c for c in source.chapters if c.start <= meta["start"] < c.end)
        assert meta["end"] <= chapter.end and meta["group"] == f"{source.id}#{source.chapters.index(chapter)}"
        assert record["text"][-1] in ".”" and "CHAPTER" not in record["text"]


def test_split_by_group_and_stats_fingerprint(story_bot):
    config = open_bot(story_bot).config().with_overrides("dataset", fragment_tokens=40, validation_fraction=0.3)
    result = build_dataset(story_bot, config, log=quiet)
    train_groups = {r["meta"]["group"] for r in read_records(result.train_path)}
    validation_groups = {r["meta"]["group"] for r in read_records(result.validation_path)}
    assert train_groups and validation_groups and not train_groups & validation_groups
    stats = json.loads(result.stats_path.read_text())
    for name in ("train.jsonl", "validation.jsonl"):
        assert stats["files"][name]["sha256"] == hashlib.sha256((result.dataset_dir / name).read_bytes()).hexdigest()
    assert stats["counts"]["train"] == result.counts["train"] and stats["mode"] == "completion"
    assert sum(stats["tokens"]["histogram"].values()) == stats["tokens"]["count"] == len(all_records(result))
    assert stats["config"]["dataset"]["fragment_tokens"] == 40
    assert set(stats["sources"]) == {"file-keeper", "file-harbour"}
    # the same seed gives the same split; another seed may not
    again = build_dataset(story_bot, config, log=quiet)
    assert again.stats["files"] == stats["files"]


def test_prompt_completion_pairs_continue_an_unfinished_sentence(story_bot):
    config = open_bot(story_bot).config().with_overrides("dataset", fragment_tokens=48, prompt_completion=True)
    result = build_dataset(story_bot, config, log=quiet)
    sources = {s.id: s for s in load_clean_sources(open_bot(story_bot).clean_dir)}
    for record in all_records(result):
        meta = record["meta"]
        assert record["prompt"] + record["completion"] == sources[meta["source"]].text[meta["start"]:meta["end"]]
        assert record["completion"].startswith(" ") and len(record["prompt"].split()) >= 2
        assert record["prompt"][-1] not in ".!?"


def test_dialogue_from_a_play_and_a_novel(make_bot):
    bot = make_bot("dialogue", [play_source("file-lighthouse", PLAYS / "lighthouse.txt"), chaptered("file-novel", [NOVEL])])
    result = build_dataset(bot, log=quiet)
    sources = result.stats["sources"]
    assert sources["file-lighthouse"]["type"] == "play" and sources["file-novel"]["type"] == "prose"
    assert sources["file-lighthouse"]["turns"] == 14 and sources["file-lighthouse"]["pairs"] == 12
    records = all_records(result)
    texts = {s.id: s.text for s in load_clean_sources(open_bot(bot).clean_dir)}
    for record in records:
        roles = [m["role"] for m in record["messages"]]
        assert roles[0] == "system" and roles[1] == "user" and roles[-1] == "assistant"
        meta = record["meta"]
        span = texts[meta["source"]][meta["start"]:meta["end"]]
        assert record["messages"][-1]["content"].split()[-1] in span
    novel = [r for r in records if r["meta"]["source"] == "file-novel"]
    assert any(r["messages"][-1]["content"] == "Since dusk. It always is." and r["messages"][1].get("name") == "Ada"
               for r in novel)


def test_character_mode_makes_that_character_the_assistant(make_bot):
    bot = make_bot("dialogue", [play_source("file-lighthouse", PLAYS / "lighthouse.txt")])
    config = open_bot(bot).config().with_overrides("dataset", character="tobias", validation_fraction=0.5)
    result = build_dataset(bot, config, log=quiet)
    tobias = {"You say that every night, sister.", "She never doubts. I doubt for both of us.",
              "Nothing. There is someone at the door.", "Will he write a good report?",
              "Then he saw a tired woman and a brave light."}
    records = all_records(result)
    assert records and result.counts["validation"] > 0
    for record in records:
        if record["meta"]["kind"] == "identity":  # made by botsmith, not the book: tests/dataset/test_fit.py
            continue
        assistant = [m["content"] for m in record["messages"] if m["role"] == "assistant"]
        users = [m for m in record["messages"] if m["role"] == "user"]
        assert set(assistant) <= tobias and all(m["name"] != "Tobias" for m in users)
        assert record["messages"][0]["content"] == "You are Tobias."
    with pytest.raises(BotsmithError, match="'Hamlet' never speaks.*Marguerite"):
        build_dataset(bot, config.with_overrides("dataset", character="Hamlet"), log=quiet)


ABBEY = [("Henry Tilney walked with Catherine by the river.\n\n"
          "“Do you like the country?” asked Henry.\n\n“I do, very much,” said Catherine.\n\n"
          "“Then you must see the abbey,” said Mr. Tilney.\n\n“I should like that of all things,” said Catherine."
          "\n\nHenry Tilney smiled, and they went on to the gate.\n\n"),
         ("Catherine was at home all the next day, and Henry Tilney called in the evening.\n\n"
          "“Have you read the novel?” asked Mr. Tilney.\n\n“Twice over,” said Catherine.\n\n"
          "“And did you like it?” said Henry.\n\n“Better than anything,” said Catherine.\n\n")]


def test_a_character_may_have_several_names_and_build_says_which_it_may_have(make_bot):
    bot = make_bot("dialogue", [chaptered("file-abbey", ABBEY)])
    config = open_bot(bot).config().with_overrides("dataset", character="Henry", validation_fraction=0.5)
    lines = []

    def said_by_the_bot(result):
        return {m["content"] for r in all_records(result) if r["meta"]["kind"] != "identity"
                for m in r["messages"] if m["role"] == "assistant"}

    assert said_by_the_bot(build_dataset(bot, config, log=lines.append)) == {"And did you like it?"}
    assert any("Mr. Tilney (2 turns) may be Henry too" in line and "'Henry Tilney' 3 times" in line
               and '--character "Henry, Mr. Tilney"' in line for line in lines)
    result = build_dataset(bot, config.with_overrides("dataset", character="Henry, Mr. Tilney"), log=lines.append)
    assert said_by_the_bot(result) == {"Then you must see the abbey,", "And did you like it?"}
    assert all(r["messages"][0]["content"] == "You are Henry." for r in all_records(result))


def test_no_dialogue_is_an_error_with_counts_and_writes_nothing(make_bot):
    bot = make_bot("dialogue", [chaptered("file-keeper", STORY_CHAPTERS)])
    with pytest.raises(BotsmithError, match=r"no dialogue found in 1 source \(file-keeper: 0 turns"):
        build_dataset(bot, log=quiet)
    assert not any(open_bot(bot).dataset_dir.iterdir())


def test_no_sources_is_an_error(make_bot):
    with pytest.raises(BotsmithError, match="no cleaned sources"):
        build_dataset(make_bot("completion"), log=quiet)


def test_a_failed_build_keeps_the_previous_dataset(story_bot):
    first = build_dataset(story_bot, log=quiet)
    before = first.train_path.read_bytes()
    config = open_bot(story_bot).config().with_overrides("dataset", fragment_tokens=32, overlap_tokens=32)
    with pytest.raises(BotsmithError, match="overlap_tokens"):
        build_dataset(story_bot, config, log=quiet)
    assert first.train_path.read_bytes() == before


def test_train_validation_and_stats_are_replaced_together_or_not_at_all(story_bot, monkeypatch):
    import os

    first = build_dataset(story_bot, log=quiet)
    (first.dataset_dir / "notes.md").write_text("my own notes")
    before = {path.name: path.read_bytes() for path in first.paths}
    real_fsync, synced = os.fsync, []

    def killed_after_the_first_file(fd: int) -> None:  # as if Ctrl-C came while validation.jsonl was written
        synced.append(fd)
        if len(synced) == 2:
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", killed_after_the_first_file)
    config = open_bot(story_bot).config().with_overrides("dataset", fragment_tokens=40, validation_fraction=0.3)
    with pytest.raises(KeyboardInterrupt):
        build_dataset(story_bot, config, log=quiet)
    assert {path.name: path.read_bytes() for path in first.paths} == before
    assert not [path for path in first.dataset_dir.parent.iterdir() if path.name.startswith(".")]  # no temporary
    monkeypatch.setattr(os, "fsync", real_fsync)
    second = build_dataset(story_bot, config, log=quiet)
    assert second.train_path.read_bytes() != before["train.jsonl"]
    assert (second.dataset_dir / "notes.md").read_text() == "my own notes"


def test_duplicate_sources_are_removed_and_counted(make_bot):
    same = [chaptered("file-a", STORY_CHAPTERS), chaptered("file-b", STORY_CHAPTERS)]
    near = chaptered("file-c", [c.replace("He struck a match.", "He struck a light.") for c in STORY_CHAPTERS])
    result = build_dataset(make_bot("completion", [*same, near]), log=quiet)
    per_source = result.stats["sources"]["file-a"]["records"]
    counts = result.counts
    assert counts["near_duplicates"] >= 1  # the fragments with "a light" instead of "a match"
    assert counts["exact_duplicates"] + counts["near_duplicates"] == 2 * per_source
    assert counts["train"] + counts["validation"] == per_source


def test_bad_input_warns_instead_of_crashing(make_bot):
    words = " ".join(f"word{i} and more" for i in range(3000))
    one_line = CleanSource("file-line", words, [Chapter("", 0, len(words))], {"title": "one line"})
    russian = chaptered("file-ru", ["Старик поднялся по лестнице. Лампа была холодной. Он зажёг спичку."] * 3)
    result = build_dataset(make_bot("completion", [one_line, russian]), log=quiet)
    warnings = " ".join(result.warnings)
    assert "file-line: a paragraph of" in warnings and "file-ru: the text looks non-English" in warnings
    assert result.counts["train"] > 10
