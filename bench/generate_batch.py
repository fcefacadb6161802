"""Replies per second when several are decoded side by side (`Engine.generate_batch`, what `botsmith eval` uses)
against one after another (what `generate` does for each, as eval did before).

The workload is eval's: chat prompts with a system prompt and one line of a book's dialogue to answer (the
speeches of Pride and Prejudice in ../shared/corpora when it is there, else a built-in list), each sampled with
the default [generate] settings and its own seed, up to --tokens new tokens (160; eval stops at 96), the end of turn
allowed, so replies end at different lengths as eval's do. The model is loaded once in the dtype botsmith picks
(bf16 where the CPU computes it fast, else float32; --dtype to choose) and decoded by the lean Llama pass. Each row is timed over the whole set
of replies, prompts included, after one warm-up reply; the same seeds give the same replies in every row,
which the last column checks: the count of replies that differ from one-at-a-time's. In float32 none should; in bf16
the two passes round their sums differently (each within a few % of the largest logit of transformers' own pass,
as the lean pass is), so a sampled token flips now and then and the reply goes on differently from there.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/generate_batch.py [--model smollm2-135m] [--replies 48]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "pride_and_prejudice.txt"
FALLBACK_LINES = [
    "What do you think of the new neighbour?", "Will you dance with me this evening?",
    "I cannot understand why she refused him.", "Do you believe a man can be truly proud and yet good?",
    "Tell me honestly what you thought of the letter.", "Is it not a fine thing to be admired?",
    "How long do you stay in the country?", "You are too severe on your sister.",
]


def book_lines(count: int) -> list[str]:
    """`count` speeches of 8-60 words, spread over the book (or the built-in lines, repeated)."""
    if not CORPUS.is_file():
        return [FALLBACK_LINES[i % len(FALLBACK_LINES)] for i in range(count)]
    from botsmith.extract import extract_dialogue
    from botsmith.sources.encoding import decode_text

    result = extract_dialogue(decode_text(CORPUS.read_bytes()).text)
    speeches = [" ".join(u.text.split()) for turn in result.turns for u in turn.utterances]
    speeches = [s for s in speeches if 8 <= len(s.split()) <= 60]
    step = max(1, len(speeches) // count)
    return speeches[::step][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--replies", type=int, default=48)
    parser.add_argument("--tokens", type=int, default=160)
    parser.add_argument("--widths", default="4,8,16")
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16"),
                        help="auto: what botsmith picks; float32 replies match one at a time exactly")
    args = parser.parse_args()

    import torch

    from botsmith.chat import Engine, Sampling
    from botsmith.config import GenerateSection
    from botsmith.models import load_base, pick_dtype

    dtype = pick_dtype() if args.dtype == "auto" else getattr(torch, args.dtype)
    loaded = load_base(args.model, dtype=dtype, log=lambda line: None)
    engine = Engine(loaded.model, loaded.tokenizer, stop_strings=loaded.chat_format.stop, log=lambda line: None)
    fmt = loaded.chat_format.with_system("You are Elizabeth.")
    requests = []
    for index, line in enumerate(book_lines(args.replies)):
        ids = loaded.tokenizer(fmt.prompt([{"role": "user", "content": line}]), add_special_tokens=False)["input_ids"]
        sampling = Sampling.from_config(GenerateSection(), max_new_tokens=args.tokens, seed=1234 + index)
        requests.append((ids, sampling, ()))
    print(f"{args.model}, {str(dtype).replace('torch.', '')}, {engine.decoder_description()}; {torch.get_num_threads()} "
          f"threads; {len(requests)} replies of at most {args.tokens} tokens, prompts of "
          f"{min(len(r[0]) for r in requests)}-{max(len(r[0]) for r in requests)} tokens")
    engine.generate(*requests[0][:2]).text()  # warm-up

    def one_at_a_time():
        out = []
        for ids, sampling, stop in requests:
            stream = engine.generate(ids, sampling, stop=stop)
            out.append((stream.text(), stream.stats))
        return out

    rows = [("one at a time (generate)", one_at_a_time)]
    rows += [(f"side by side, width {width}", lambda width=width: engine.generate_batch(requests, width=width))
             for width in (int(w) for w in args.widths.split(","))]
    baseline, base_seconds = None, None
    print(f"{'decoding':<28} {'seconds':>8} {'tokens':>7} {'tokens/s':>9} {'speed-up':>9} {'replies differing':>18}")
    for label, run in rows:
        started = time.perf_counter()
        replies = run()
        seconds = time.perf_counter() - started
        tokens = sum(stats.completion_tokens for _, stats in replies)
        if baseline is None:
            baseline, base_seconds = replies, seconds
        differing = sum(a[0] != b[0] for a, b in zip(replies, baseline))
        print(f"{label:<28} {seconds:>8.1f} {tokens:>7} {tokens / seconds:>9.1f} {base_seconds / seconds:>8.2f}x "
              f"{differing:>18}")


if __name__ == "__main__":
    main()
