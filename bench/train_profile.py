"""Where a botsmith training step spends its time: torch.profiler over bench/train_throughput.py's botsmith arm.

The same job (smollm2-135m, LoRA r=16 on every linear layer of the blocks, 8 x 256-token sequences of
Pride and Prejudice, the default CPU kernels) runs --steps optimizer steps in this process; the profiler
records every step after the first (one-off setup and warm caches), CPU only, operators by self time.
Prints the --top operators (with --shapes, also grouped by input shapes), then the time by kind: matrix
products (mm, addmm, bmm, the flash attention kernels), other torch operators (elementwise, reductions,
copies, random draws), and the rest (Python between operators, the step's own time, autograd nodes).
Self times add up to the wall time of the profiled steps.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/train_profile.py [--steps 4] [--top 20] [--lora-dropout 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_throughput import arm_botsmith, make_data  # noqa: E402  (the very job the throughput bench times)

MATMUL = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::_flash_attention", "aten::mv", "aten::addmv",
          "aten::_scaled_dot_product_flash_attention_for_cpu")


def profiled_steps(steps: int, shapes: bool):
    """A profiler that records optimizer steps 2..steps, advanced by a hook on every optimizer step."""
    from torch.optim.optimizer import register_optimizer_step_post_hook
    from torch.profiler import ProfilerActivity, profile, schedule

    profiler = profile(activities=[ProfilerActivity.CPU], record_shapes=shapes,
                       schedule=schedule(wait=0, warmup=1, active=steps - 1, repeat=1))
    hook = register_optimizer_step_post_hook(lambda *_: profiler.step())
    return profiler, hook


def print_profile(profiler, top: int, seconds: float, tokens: float, shapes: bool) -> None:
    events = [event for event in profiler.key_averages() if event.self_cpu_time_total > 0]
    events.sort(key=lambda event: event.self_cpu_time_total, reverse=True)
    total_us = seconds * 1e6
    print(f"{'operator':<52}{'calls':>8}{'self s':>9}{'share':>8}")
    for event in events[:top]:
        share = event.self_cpu_time_total / total_us
        print(f"{event.key[:51]:<52}{event.count:>8}{event.self_cpu_time_total / 1e6:>9.2f}{share:>8.1%}")
    if shapes:
        print(f"\nby input shapes:\n{'operator':<24}{'calls':>7}{'self s':>8}  shapes")
        by_shape = sorted(profiler.key_averages(group_by_input_shape=True), key=lambda e: -e.self_cpu_time_total)
        for event in by_shape[:top]:
            print(f"{event.key[:23]:<24}{event.count:>7}{event.self_cpu_time_total / 1e6:>8.2f}  "
                  f"{str(event.input_shapes)[:90]}")
    matmul = sum(event.self_cpu_time_total for event in events if event.key in MATMUL)
    other = sum(event.self_cpu_time_total for event in events if event.key.startswith("aten::")) - matmul
    print(f"\nprofiled steps: {seconds:.2f} s wall, {tokens / seconds:.1f} tokens/s (profiler overhead included)")
    print(f"matrix products {matmul / total_us:.1%}, other torch operators {other / total_us:.1%}, the rest "
          f"(Python between operators, autograd nodes' own time) {(total_us - matmul - other) / total_us:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--shapes", action="store_true", help="also the top operators by input shapes")
    parser.add_argument("--lora-dropout", type=float, default=0.0, help="LoRA dropout (botsmith's default: 0)")
    args = parser.parse_args()
    if args.steps < 2:
        parser.error("--steps must be at least 2 (the first step is not profiled)")
    with tempfile.TemporaryDirectory(prefix="bench-train-profile-") as scratch:
        work = Path(scratch)
        make_data(work, args.steps)
        profiler, hook = profiled_steps(args.steps, args.shapes)
        with profiler:
            result = arm_botsmith(work, args.steps, args.lora_dropout)
        hook.remove()
    print(f"botsmith train, {args.steps} steps of 8 x 256 tokens, LoRA dropout {args.lora_dropout:g}, "
          f"steps 2-{args.steps} profiled")
    print_profile(profiler, args.top, result["seconds"], result["tokens"], args.shapes)


if __name__ == "__main__":
    main()
