"""botsmith's own attention forward with generated rotary kernels (train/rotary.py) against transformers' forward, in one process.

The job of bench/train_generated_kernels.py (smollm2-135m, bf16, LoRA r=16, every botsmith CPU kernel, forward +
backward of a fixed 8 x 256-token batch with the fused loss, no optimizer step), switching every attention module
between `own_attention_forward` and its class's forward (transformers' rotary embeddings, then attention.py's
kernel) in ABBA order, a step at a time. One warm-up step of each first; prints each version's median and mean
step time and their ratio.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/train_rotary.py [--steps 24]
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_generated_kernels import compare_from_command_line  # noqa: E402  (the very job that bench times)


def use_own_rotary(model, own: bool) -> None:
    from botsmith.train.rotary import _is_candidate, own_attention_forward

    for module in model.modules():
        if _is_candidate(module):
            if own:
                module.forward = types.MethodType(own_attention_forward, module)
            else:
                module.__dict__.pop("forward", None)  # the class's own forward again


def main() -> None:
    compare_from_command_line(__doc__.splitlines()[0], use_own_rotary,
                              ("transformers' attention forward", "own forward, generated rotary"))


if __name__ == "__main__":
    main()
