"""`botsmith demo`'s whole path on a tiny model: story -> dataset -> LoRA -> completions and a reply."""

from __future__ import annotations

import json

from botsmith.demo import run_demo
from botsmith.records import read_records


def test_demo_runs_end_to_end_on_a_tiny_model(tmp_path, tiny_llama):
    lines: list[str] = []
    result = run_demo(tmp_path / "demo", base_model=str(tiny_llama), max_steps=3, log=lines.append)

    clean = list((result.bot_dir / "data" / "clean").glob("*.txt"))
    assert len(clean) == 1 and clean[0].read_text().startswith("CHAPTER I. THE LADDER")
    assert [path.name for path in (result.bot_dir / "data" / "raw").iterdir()] == ["file-lamplighter.txt"]
    fragments = read_records(result.bot_dir / "data" / "dataset" / "train.jsonl")
    assert fragments and all("text" in record for record in fragments)

    run = next((result.bot_dir / "runs").iterdir())
    assert (run / "best" / "botsmith_checkpoint.json").is_file() and (run / "final").is_dir()
    assert json.loads((run / "summary.json").read_text())["steps"] == 3
    assert [prompt for prompt, _ in result.completions] == ["Every evening at a quarter past six,",
                                                            "The clock-mender opened the door and"]
    assert all(isinstance(text, str) for _, text in result.completions)
    assert any(line.startswith("[4/4]") for line in lines)


def test_demo_again_in_the_same_folder_adds_a_run(tmp_path, tiny_llama):
    first = run_demo(tmp_path / "demo", base_model=str(tiny_llama), max_steps=1, log=lambda *_: None)
    run_demo(tmp_path / "demo", base_model=str(tiny_llama), max_steps=1, log=lambda *_: None)
    assert len([p for p in (first.bot_dir / "runs").iterdir() if not p.name.startswith(".")]) == 2
