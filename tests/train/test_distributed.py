"""Two CPU processes on the gloo backend, launched by torchrun like a user would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import torch
from safetensors.torch import load_file

from botsmith.train import train

SETTINGS = dict(max_steps=4, eval_every=2, lora_dropout=0.0, threads=1, precision="fp32")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_match_one_with_the_same_global_batch(tmp_path, tiny_llama, make_bot):
    bot = make_bot(tmp_path / "ddp", tiny_llama, **SETTINGS)
    launched = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
         "-m", "botsmith", "train", str(bot.root)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert launched.returncode == 0, launched.stderr[-3000:]
    (run_dir,) = bot.runs_dir.iterdir()  # one run folder: only rank 0 writes
    assert launched.stdout.strip() == str(run_dir / "best")
    log = (run_dir / "train.log").read_text()
    assert "plan: 4 steps of 4 x 1 x 2 sequences" in log
    assert "2 processes agree on the final weights" in log
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "finished"

    # One process accumulating the same two micro-batches per step makes the same updates.
    single = train(make_bot(tmp_path / "one", tiny_llama, grad_accum=2, **SETTINGS).root, log=lambda line: None)
    ddp = load_file(run_dir / "final" / "adapter_model.safetensors")
    ref = load_file(single.final_dir / "adapter_model.safetensors")
    assert ddp.keys() == ref.keys()
    assert all(torch.allclose(ddp[key], ref[key], atol=1e-5) for key in ddp)


def test_a_process_whose_main_process_stopped_before_saving_says_so(tmp_path):
    script = tmp_path / "peers.py"
    script.write_text(
        "import sys\n"
        "from botsmith.errors import BotsmithError\n"
        "from botsmith.train.distributed import init_world, shutdown, wait_for_all\n"
        "world = init_world('cpu')\n"
        "if world.is_main:\n"
        "    shutdown(world)\n"  # as when saving fails: rank 0 leaves without the closing barrier
        "    sys.exit(0)\n"
        "try:\n"
        "    wait_for_all(world)\n"
        "except BotsmithError as error:\n"
        "    print(error.message)\n")
    launched = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
         str(script)], capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert launched.returncode == 0, launched.stderr[-2000:]
    assert "process 1: the main process stopped before the run was saved" in launched.stdout
