"""A disk that fills during the write, and the CLI's one-line errors, run as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The child caps the size of any file it writes (RLIMIT_FSIZE) and ignores SIGXFSZ, so a
# write past the cap fails with EFBIG exactly as a write to a full disk fails with ENOSPC.
LIMITED_CLI = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from botsmith.cli import main
main(sys.argv[2:])
"""


def run_cli(args: list[str], *, file_limit: int | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", LIMITED_CLI, str(file_limit or 2**40), *args]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)


def test_disk_full_leaves_no_partial_gguf(llama_bot, tmp_path):
    out = tmp_path / "export"
    done = run_cli(["export", str(llama_bot), "--format", "gguf", "--quant", "f32", "--out", str(out)],
                   file_limit=20_000)  # the f32 GGUF of the tiny model is ~100 kB
    assert done.returncode == 1, done.stderr
    assert "botsmith: error:" in done.stderr and "disk is full" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no temporary leftovers


def test_cli_export_prints_the_folder(llama_bot, tmp_path):
    out = tmp_path / "cli-export"
    done = run_cli(["export", str(llama_bot), "-f", "gguf", "-q", "q8_0", "-o", str(out)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "ok   layout" in done.stderr and "ollama create" in done.stderr


def test_cli_unknown_quant_lists_choices(llama_bot):
    done = run_cli(["export", str(llama_bot), "--quant", "q5_x"])
    assert done.returncode != 0 and "q4_0" in done.stderr and "Traceback" not in done.stderr


def test_cli_untrained_bot(tmp_path, tiny_llama):
    from botsmith.bot_folder import new_bot

    new_bot(tmp_path / "fresh", base_model=str(tiny_llama))
    done = run_cli(["export", str(tmp_path / "fresh")])
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "train the bot first" in done.stderr


def test_cli_unknown_format(llama_bot):
    done = run_cli(["export", str(llama_bot), "--format", "onnx"])
    assert done.returncode == 1 and "gguf-lora" in done.stderr and "hf" in done.stderr
