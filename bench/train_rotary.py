"""botsmith's own attention forward with generated rotary kernels (train/rotary.py) against transformers' forward, in one process.

The job of bench/train_generated_kernels.py (smollm2-135m, bf16, LoRA r=16, every botsmith CPU kernel, forward +
backward of a fixed 8 x 256-token batch with the fused loss, no optimizer step), switching every attention module
between `own_attention_forward` and its class's forward (transformers' rotary embeddings, then attention.py's
kernel) in ABBA order, a step at a time. One warm-up step of each first; prints each version's median and mean
step time and their ratio.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/train_rotary.py [--steps 24]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import types
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_generated_kernels import build_model, timed_step  # noqa: E402  (the very job that bench times)


def use_own_rotary(model, own: bool) -> None:
    from botsmith.train.rotary import _is_candidate, own_attention_forward

    for module in model.modules():
        if _is_candidate(module):
            if own:
                module.forward = types.MethodType(own_attention_forward, module)
            else:
                module.__dict__.pop("forward", None)  # the class's own forward again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=24, help="timed steps, half each version")
    args = parser.parse_args()
    model, loss, batch = build_model(8, 256)
    times: dict[bool, list[float]] = {False: [], True: []}
    for own in (False, True):
        use_own_rotary(model, own)
        timed_step(model, loss, batch)  # warm-up
    for index in range(args.steps):
        own = index % 4 in (1, 2)  # ABBA
        use_own_rotary(model, own)
        times[own].append(timed_step(model, loss, batch))
    tokens = batch["input_ids"].numel()
    print(f"forward + backward of 8 x 256 tokens, bf16, {torch.get_num_threads()} threads, ABBA order, "
          f"{args.steps} steps after one warm-up step of each")
    for own, label in ((False, "transformers' attention forward"), (True, "own forward, generated rotary")):
        median = statistics.median(times[own])
        print(f"{label:<34} median {median:.3f} s ({tokens / median:.0f} tokens/s), mean {statistics.mean(times[own]):.3f} s")
    print(f"speed-up (ratio of medians): {statistics.median(times[False]) / statistics.median(times[True]):.2f}x")


if __name__ == "__main__":
    main()
