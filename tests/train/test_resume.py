"""Ctrl-C leaves a resumable last/, and a resumed run ends with the same weights as an uninterrupted one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import torch
from safetensors.torch import load_file

from botsmith.train import train

SETTINGS = dict(max_steps=60, eval_every=7, lora_dropout=0.1)  # dropout: the RNG state must resume too


def logged_steps(run_dir) -> int:
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return 0
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip().endswith("}")]
    return max((row["step"] for row in rows), default=0)


def interrupt_after(bot, steps: int, signum: int = signal.SIGINT) -> subprocess.CompletedProcess:
    """Run `botsmith train` and press Ctrl-C (SIGINT, or send `signum`) once `steps` steps are logged."""
    process = subprocess.Popen([sys.executable, "-m", "botsmith", "train", str(bot.root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        runs = sorted(bot.runs_dir.iterdir()) if bot.runs_dir.is_dir() else []
        if runs and logged_steps(runs[-1]) >= steps:
            process.send_signal(signum)
            break
        time.sleep(0.005)
    stdout, stderr = process.communicate(timeout=240)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_interrupted_and_resumed_run_matches_uninterrupted(tmp_path, tiny_llama, make_bot):
    reference = train(make_bot(tmp_path / "straight", tiny_llama, **SETTINGS).root, log=lambda line: None)

    bot = make_bot(tmp_path / "stopped", tiny_llama, **SETTINGS)
    stopped = interrupt_after(bot, 3)
    assert stopped.returncode == 130, stopped.stderr[-2000:]
    assert stopped.stderr.strip().splitlines()[-1].startswith("botsmith: error: interrupted at step ")
    assert stopped.stderr.strip().endswith("resume with botsmith train --resume")
    (run_dir,) = bot.runs_dir.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted" and 3 <= summary["step"] < 60
    assert json.loads((run_dir / "last" / "training_state.json").read_text())["step"] == summary["step"]

    resumed = train(bot.root, resume=True, log=lambda line: None)
    assert resumed.run_dir == run_dir and resumed.steps == 60
    expected = load_file(reference.final_dir / "adapter_model.safetensors")
    got = load_file(resumed.final_dir / "adapter_model.safetensors")
    assert expected.keys() == got.keys() and all(torch.equal(expected[k], got[k]) for k in expected)
    assert resumed.best_val_loss == reference.best_val_loss
    steps = [row["step"] for row in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines()) if "loss" in row]
    assert steps == list(range(1, 61))  # lines logged after the checkpoint were dropped, not duplicated


def test_sigterm_leaves_a_resumable_run_and_resume_survives_a_cut_metrics_line(tmp_path, tiny_llama, make_bot):
    bot = make_bot(tmp_path / "terminated", tiny_llama, max_steps=30, eval_every=4)
    stopped = interrupt_after(bot, 3, signal.SIGTERM)  # what a scheduler, kill or docker stop sends
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-2000:]
    assert stopped.stderr.strip().splitlines()[-1].startswith("botsmith: error: interrupted by SIGTERM at step ")
    (run_dir,) = bot.runs_dir.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert json.loads((run_dir / "last" / "training_state.json").read_text())["step"] == summary["step"]
    with (run_dir / "metrics.jsonl").open("a") as metrics:
        metrics.write('{"step": 4, "loss": 2.3')  # the process died in the middle of a line
    resumed = train(bot.root, resume=True, log=lambda line: None)
    assert resumed.run_dir == run_dir and resumed.steps == 30
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows if "loss" in row] == list(range(1, 31))
