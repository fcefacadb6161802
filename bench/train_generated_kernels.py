"""The generated RMSNorm and SwiGLU kernels (train/compiled.py) against the ATen RMSNorm and transformers' MLP, in one process.

The default model (smollm2-135m, bf16, LoRA r=16 on every linear layer of the blocks, botsmith's CPU kernels)
runs forward + backward of a fixed 8 x 256-token batch (the fused loss; no optimizer step), switching every
RMSNorm and MLP between the two versions in ABBA order, a step at a time: on a shared CPU whose speed moves
from minute to minute, steps next to each other see the same machine, where runs minutes apart do not.
One warm-up step of each first; prints each version's median and mean step time and their ratio.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/train_generated_kernels.py [--steps 24]
"""

from __future__ import annotations

import argparse
import statistics
import time
import types
from functools import partial

import torch


def build_model(batch: int, length: int):
    from botsmith.config import TrainSection
    from botsmith.train.loss import LossComputer
    from botsmith.train.prepare import load_for_method

    train = TrainSection(method="lora", lora_r=16, lora_alpha=32, lora_dropout=0.0)
    prepared = load_for_method("smollm2-135m", train, device="cpu", dtype=torch.bfloat16, log=lambda line: None)
    print(*prepared.kernels.lines(), sep="\n")
    ids = torch.randint(0, prepared.model.config.vocab_size, (batch, length), generator=torch.Generator().manual_seed(0))
    batch_tensors = {"input_ids": ids, "labels": ids.clone(), "position_ids": torch.arange(length).expand(batch, length)}
    return prepared.model.train(), LossComputer(prepared.model), batch_tensors


def use_generated(model, generated: bool) -> None:
    from botsmith.train import rms_norm, swiglu

    function = rms_norm.CompiledRMSNormFunction if generated else rms_norm.RMSNormFunction
    for module in model.modules():
        if type(module).__name__.endswith("RMSNorm"):
            module.forward = types.MethodType(partial(rms_norm.fast_rms_norm_forward, function=function), module)
        elif hasattr(module, "gate_proj"):
            if generated:
                module.forward = types.MethodType(swiglu.fused_mlp_forward, module)
            else:
                module.__dict__.pop("forward", None)  # the class's own forward again


def timed_step(model, loss, batch) -> float:
    start = time.perf_counter()
    (loss(batch) / batch["input_ids"].numel()).backward()
    seconds = time.perf_counter() - start
    for parameter in model.parameters():
        parameter.grad = None
    return seconds


def compare_abba(switch, labels: tuple[str, str], steps: int) -> None:
    """Time the default job's steps with `switch(model, False)` and `switch(model, True)` in ABBA order; print both."""
    model, loss, batch = build_model(8, 256)
    times: dict[bool, list[float]] = {False: [], True: []}
    for version in (False, True):
        switch(model, version)
        timed_step(model, loss, batch)  # warm-up
    for index in range(steps):
        version = index % 4 in (1, 2)  # ABBA
        switch(model, version)
        times[version].append(timed_step(model, loss, batch))
    tokens = batch["input_ids"].numel()
    print(f"forward + backward of 8 x 256 tokens, bf16, {torch.get_num_threads()} threads, ABBA order, "
          f"{steps} steps after one warm-up step of each")
    for version, label in zip((False, True), labels):
        median = statistics.median(times[version])
        print(f"{label:<34} median {median:.3f} s ({tokens / median:.0f} tokens/s), mean {statistics.mean(times[version]):.3f} s")
    print(f"speed-up (ratio of medians): {statistics.median(times[False]) / statistics.median(times[True]):.2f}x")


def compare_from_command_line(description: str, switch, labels: tuple[str, str]) -> None:
    """`compare_abba` with the step count from `--steps`: the command line of every ABBA bench."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=24, help="timed steps, half each version")
    compare_abba(switch, labels, parser.parse_args().steps)


def main() -> None:
    compare_from_command_line(__doc__.splitlines()[0], use_generated,
                              ("ATen RMSNorm, transformers' MLP", "generated RMSNorm and SwiGLU"))


if __name__ == "__main__":
    main()
