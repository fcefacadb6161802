"""How long the default model takes to load from botsmith's cache (after `botsmith models pull`).

    .venv/bin/python bench/load_model.py [--repeat 3]

Prints the import time of torch + transformers once, then each load_base() time.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default="smollm2-135m")
    args = parser.parse_args()
    started = time.perf_counter()
    import torch  # noqa: F401
    import transformers  # noqa: F401

    print(f"import torch + transformers: {time.perf_counter() - started:.2f} s")
    from botsmith.models import load_base

    for attempt in range(1, args.repeat + 1):
        started = time.perf_counter()
        loaded = load_base(args.model, log=lambda *_: None)
        print(f"load_base({args.model!r}) #{attempt}: {time.perf_counter() - started:.2f} s ({loaded.model.dtype})")


if __name__ == "__main__":
    main()
