"""Chat mode through the chats stage, and whole books from ../shared/corpora."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from botsmith.bot_folder import open_bot
from botsmith.dataset import build_dataset
from botsmith.records import read_records
from botsmith.sources.cleaned import Chapter, CleanSource


def quiet(line: str) -> None:
    pass


def test_chat_mode_takes_the_chats_stage_records(make_bot):
    bot = make_bot("chat")
    chats = open_bot(bot).raw_dir / "chats"
    chats.mkdir(parents=True)
    lines = [{"messages": [{"role": "user", "content": f"Question {i} about the lamp?"},
                           {"role": "assistant", "content": f"Answer {i}: the lamp is lit."}]} for i in range(6)]
    (chats / "talks.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = build_dataset(bot, open_bot(bot).config().with_overrides("dataset", validation_fraction=0.34), log=quiet)
    assert result.counts["train"] + result.counts["validation"] == 6 and result.counts["validation"] == 2
    assert result.stats["sources"]["talks.jsonl"] == {"id": "talks.jsonl", "type": "chat", "chapters": 0, "records": 6}
    groups = [{r["meta"]["group"] for r in read_records(path)} for path in (result.train_path, result.validation_path)]
    assert not groups[0] & groups[1]


def whole_text(source_id: str, text: str, heading: str | None = None) -> CleanSource:
    """A raw corpus text as a cleaned source, chapters cut at `heading` lines when given."""
    starts = [m.start() for m in re.finditer(heading, text, re.MULTILINE)] if heading else []
    starts = starts or [0]
    chapters = [Chapter(str(i), a, b) for i, (a, b) in enumerate(zip(starts, [*starts[1:], len(text)]))]
    return CleanSource(source_id, text, chapters, {"title": source_id})


@pytest.mark.corpora
def test_hamlet_as_the_character(make_bot, corpora):
    text = (corpora / "hamlet.txt").read_text(encoding="utf-8")
    bot = make_bot("dialogue", [whole_text("file-hamlet", text, r"^(?:ACT|Act) [IV]+\.")])
    config = open_bot(bot).config().with_overrides("dataset", character="Hamlet")
    result = build_dataset(bot, config, log=quiet)
    report = result.stats["sources"]["file-hamlet"]
    assert report["type"] == "play" and report["turns"] > 1000 and report["pairs"] > 300
    records = read_records(result.train_path) + read_records(result.validation_path)
    assert all(r["messages"][0]["content"] == "You are Hamlet." for r in records)
    names = Counter(m.get("name") for r in records for m in r["messages"] if m["role"] == "user")
    assert names["Horatio"] > 30 and "Hamlet" not in names
    texts = " ".join(m["content"] for r in records for m in r["messages"])
    assert "Exeunt" not in texts and "[" not in texts and "Ham." not in texts
    assert result.counts["validation"] > 0 and result.stats["split"]["unit"] == "group"


@pytest.mark.corpora
def test_pride_and_prejudice_completion_and_dialogue(make_bot, corpora):
    text = (corpora / "pride_and_prejudice.txt").read_text(encoding="utf-8")
    source = whole_text("pg1342", text, r"^CHAPTER [IVXLC]+\.")
    story = build_dataset(make_bot("completion", [source], name="story"), log=quiet)
    assert story.counts["train"] > 1000 and story.stats["sources"]["pg1342"]["chapters"] > 50
    talk = build_dataset(make_bot("dialogue", [source], name="talk"), log=quiet)
    report = talk.stats["sources"]["pg1342"]
    assert report["type"] == "prose" and report["convention"] == "double-curly" and report["pairs"] > 500


@pytest.mark.corpora
def test_the_whole_path_from_files_to_a_dataset(make_bot, corpora):
    """Raw files cleaned by the sources stage, then built: the play keeps its scenes, Alice is prose."""
    from botsmith.sources import add_files

    bot = make_bot("dialogue")
    add_files(bot, [corpora / "hamlet.txt", corpora / "alice_in_wonderland.straight-quotes.txt"], log=quiet)
    result = build_dataset(bot, log=quiet)
    sources = result.stats["sources"]
    hamlet = next(info for name, info in sources.items() if "hamlet" in name)
    alice = next(info for name, info in sources.items() if "alice" in name)
    assert hamlet["type"] == "play" and hamlet["turns"] > 1000 and hamlet["speakers"]["Hamlet"] > 300
    assert alice["type"] == "prose" and alice["pairs"] > 100 and alice["convention"] == "single-straight"
    groups = {r["meta"]["group"] for r in read_records(result.train_path) + read_records(result.validation_path)}
    assert len({g for g in groups if "hamlet" in g}) == 20  # one group per scene


@pytest.mark.slow
@pytest.mark.corpora
def test_fragments_fill_the_real_model_tokens(tmp_path, real_home, corpora):
    """With the default model's tokenizer, fragments are close to the asked size and never over it."""
    from transformers import AutoTokenizer

    from botsmith.bot_folder import new_bot
    from botsmith.models import resolve_model
    from botsmith.sources.cleaned import save_clean_source

    folder = new_bot(tmp_path / "alice", mode="completion")
    text = (corpora / "alice_in_wonderland.txt").read_text(encoding="utf-8")
    save_clean_source(folder.clean_dir, whole_text("pg11", text, r"^CHAPTER [IVXLC]+\."))
    result = build_dataset(folder.root, log=quiet)
    tokenizer = AutoTokenizer.from_pretrained(str(resolve_model("smollm2-135m", log=quiet)))
    lengths = [len(tokenizer(r["text"], add_special_tokens=False)["input_ids"])
               for r in read_records(result.train_path)]
    assert max(lengths) <= 256 and sorted(lengths)[len(lengths) // 2] > 200
    assert result.stats["tokens"]["max"] <= 256  # stats count the same way


def test_build_cli_takes_me_for_chat_mode(make_bot):
    import subprocess
    import sys
    from pathlib import Path

    bot = make_bot("chat")
    fixture = Path(__file__).parents[1] / "chats" / "fixtures" / "whatsapp_android.txt"
    cli = [sys.executable, "-m", "botsmith"]
    added = subprocess.run([*cli, "chats", "add", str(fixture), "--bot", str(bot)], capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    nobody = subprocess.run([*cli, "build", str(bot), "--me", "Zed"], capture_output=True, text=True)
    assert nobody.returncode != 0 and "Zed" in nobody.stderr and "Traceback" not in nobody.stderr
    built = subprocess.run([*cli, "build", str(bot), "--me", "Ana", "--validation-fraction", "0.5"],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    records = read_records(open_bot(bot).dataset_dir / "train.jsonl") + read_records(
        open_bot(bot).dataset_dir / "validation.jsonl")
    assistant = [m["content"] for r in records for m in r["messages"] if m["role"] == "assistant"]
    assert assistant and any("line two" in text for text in assistant)
