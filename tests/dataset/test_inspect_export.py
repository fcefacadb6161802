"""inspect_dataset, export formats and the build/inspect/dataset export commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from dataset_samples import PLAYS, chaptered, play_source

from botsmith.bot_folder import open_bot
from botsmith.dataset import build_dataset, export_dataset, inspect_dataset
from botsmith.errors import BotsmithError
from botsmith.records import read_records


def quiet(line: str) -> None:
    pass


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "botsmith", *args], capture_output=True, text=True)


@pytest.fixture
def play_bot(make_bot):
    bot = make_bot("dialogue", [play_source("file-lighthouse", PLAYS / "lighthouse.txt")])
    build_dataset(bot, log=quiet)
    return bot


def test_inspect_shows_counts_histogram_examples_in_context_and_warnings(play_bot):
    report = inspect_dataset(play_bot, examples=2, seed=1)
    assert report.counts["train"] + report.counts["validation"] == sum(report.histogram.values())
    assert len(report.examples) == 2
    for example in report.examples:
        meta = example.record["meta"]
        assert f"[file-lighthouse chars {meta['start']}-{meta['end']}]" in example.context and "⟦" in example.context
    text = report.render()
    assert "Token lengths (base-model tokens, from stats.json)" in text and "assistant:" in text
    assert any("too few" in w for w in report.warnings)


def test_inspect_notices_edits_duplicates_and_leaks(play_bot):
    dataset = open_bot(play_bot).dataset_dir
    train = read_records(dataset / "train.jsonl")
    with (dataset / "validation.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(train[0]) + "\n")
    report = inspect_dataset(play_bot, examples=0)
    joined = " ".join(report.warnings)
    assert "stats.json is stale" in joined and "in both train and validation" in joined
    assert "both sides of the split" in joined and "estimated" in report.histogram_note


def test_inspect_without_a_dataset(make_bot):
    with pytest.raises(BotsmithError, match="no dataset in .*run 'botsmith build' first"):
        inspect_dataset(make_bot("completion"))


def test_openai_and_sharegpt_exports(play_bot, tmp_path):
    records = read_records(open_bot(play_bot).dataset_dir / "train.jsonl")
    openai = export_dataset(play_bot, "openai", tmp_path / "openai", log=quiet)
    rows = [json.loads(line) for line in (openai / "train.jsonl").read_text().splitlines()]
    assert len(rows) == len(records) and set(rows[0]) == {"messages"}
    assert rows[0]["messages"][1]["name"] in {"Marguerite", "Tobias", "Inspector"}
    sharegpt = export_dataset(play_bot, "sharegpt", tmp_path / "sharegpt", log=quiet)
    row = json.loads((sharegpt / "train.jsonl").read_text().splitlines()[0])
    first = records[0]["messages"]
    assert [t["from"] for t in row["conversations"]] == [{"system": "system", "user": "human", "assistant": "gpt"}[m["role"]]
                                                        for m in first]
    assert row["conversations"][1]["value"] == f"{first[1]['name']}: {first[1]['content']}"
    assert (sharegpt / "validation.jsonl").is_file()


def test_openai_names_are_made_valid(make_bot, tmp_path):
    from botsmith.dataset.formats import write_openai

    record = {"messages": [{"role": "user", "content": "Hi", "name": "Mrs. Bennet"}, {"role": "assistant", "content": "Yes"}]}
    write_openai({"train": [record]}, tmp_path)
    assert json.loads((tmp_path / "train.jsonl").read_text())["messages"][0]["name"] == "Mrs__Bennet"


def test_fragments_only_export_to_hf(make_bot, tmp_path):
    from dataset_samples import STORY_CHAPTERS

    bot = make_bot("completion", [chaptered("file-keeper", STORY_CHAPTERS)])
    build_dataset(bot, log=quiet)
    with pytest.raises(BotsmithError, match="plain text fragment.*--format hf"):
        export_dataset(bot, "openai", tmp_path / "x", log=quiet)
    assert not (tmp_path / "x").exists()
    with pytest.raises(BotsmithError, match="unknown dataset export format 'csv'"):
        export_dataset(bot, "csv", log=quiet)
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_from_disk(str(export_dataset(bot, "hf", log=quiet)))  # default: BOT/exports/dataset-hf
    assert set(loaded["train"].column_names) == {"text", "meta"}
    assert loaded["train"][0]["text"] == read_records(open_bot(bot).dataset_dir / "train.jsonl")[0]["text"]


def test_hf_export_loads_back(play_bot, tmp_path):
    datasets = pytest.importorskip("datasets")
    out = export_dataset(play_bot, "hf", tmp_path / "hf", log=quiet)
    loaded = datasets.load_from_disk(str(out))
    train = read_records(open_bot(play_bot).dataset_dir / "train.jsonl")
    assert set(loaded) == {"train", "validation"} and len(loaded["train"]) == len(train)
    assert loaded["train"][0]["messages"][1]["content"] == train[0]["messages"][1]["content"]
    assert json.loads(loaded["train"][0]["meta"]) == train[0]["meta"]


def test_cli_build_inspect_export(make_bot, tmp_path):
    bot = make_bot("dialogue", [play_source("file-lighthouse", PLAYS / "lighthouse.txt")])
    built = run_cli("build", str(bot), "--character", "Marguerite", "--window-turns", "4", "--export", "sharegpt",
                    "--out", str(tmp_path / "sg"))
    assert built.returncode == 0, built.stderr
    assert "train:" in built.stdout and "file-lighthouse: type play" in built.stdout
    assert (tmp_path / "sg" / "train.jsonl").is_file()
    stats = json.loads((open_bot(bot).dataset_dir / "stats.json").read_text())
    assert stats["config"]["dataset"]["character"] == "Marguerite" and stats["config"]["dataset"]["window_turns"] == 4
    shown = run_cli("inspect", str(bot), "-n", "1")
    assert shown.returncode == 0 and "Example 1" in shown.stdout
    exported = run_cli("dataset", "export", "openai", "--bot", str(bot), "--out", str(tmp_path / "oa"))
    assert exported.returncode == 0 and (tmp_path / "oa" / "validation.jsonl").is_file()


def test_cli_errors_are_one_line(make_bot):
    bot = make_bot("dialogue", [play_source("file-lighthouse", PLAYS / "lighthouse.txt")])
    for args in (["build", str(bot), "--character", "Hamlet"], ["build", str(bot), "--validation-fraction", "2"],
                 ["inspect", str(bot)], ["build", str(make_bot("completion", name="empty"))]):
        result = run_cli(*args)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()  # progress lines may come first; the error is one line
        assert lines[-1].startswith("botsmith: error:") and sum("error" in line for line in lines) == 1, args
