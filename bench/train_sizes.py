"""Training speed and memory per base size here, and what botsmith's estimate says for the same run.

Each arm trains a base of a published shape (the default model itself, then random weights in
the shapes of SmolLM2-360M, Qwen2.5-0.5B and GPT-2) for STEPS optimizer steps of 8 x 256 tokens
of Pride and Prejudice (bf16 compute where the CPU runs it fast, else fp32, as `botsmith train` does), in
its own process so its peak resident memory is its own. Timed: the steps after the first (the
first warms up kernels and the allocator). Prints, per arm: measured tokens/s and peak MB; the
estimate's tokens/s and MB (botsmith.train.estimate with this machine's matmul probe, as `botsmith
train` prints it, the probe in the same dtype); and what the estimate's two constants for that dtype
would be from this arm alone: the share of the probe's speed training reached (TRAINING_SHARE) and
the activation bytes per token, layer and width unit (ACTIVATION_BYTES).

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/train_sizes.py [--steps 4]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "pride_and_prejudice.txt"
SEQ, BATCH = 256, 8
ARMS = [("smollm2-135m", "lora"), ("smollm2-135m", "full"), ("smollm2-360m-shape", "lora"),
        ("qwen2.5-0.5b-shape", "lora"), ("gpt2-shape", "lora")]


def base_folder(name: str, work: Path) -> Path:
    """The default model, or random weights in a published shape with the default model's tokenizer."""
    import transformers as tf

    from botsmith.models import resolve_model

    default = resolve_model("smollm2-135m")
    if name == "smollm2-135m":
        return default
    configs = {
        "smollm2-360m-shape": tf.LlamaConfig(vocab_size=49152, hidden_size=960, intermediate_size=2560,
                                             num_hidden_layers=32, num_attention_heads=15, num_key_value_heads=5,
                                             tie_word_embeddings=True),
        "qwen2.5-0.5b-shape": tf.Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864,
                                             num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                                             tie_word_embeddings=True),
        "gpt2-shape": tf.GPT2Config(vocab_size=50257),
    }
    folder = work / name
    tf.AutoModelForCausalLM.from_config(configs[name]).save_pretrained(folder)
    tf.AutoTokenizer.from_pretrained(str(default)).save_pretrained(folder)
    return folder


def one_arm(name: str, method: str, steps: int) -> dict:
    from transformers import AutoTokenizer

    from botsmith.bot_folder import new_bot
    from botsmith.config import save_config
    from botsmith.train import train
    from botsmith.train.estimate import (DROPOUT_FACTOR, activation_bytes, estimate_run, machine_flops, shape_of,
                                         training_share)
    from botsmith.train.setup import pick_precision

    work = Path(tempfile.mkdtemp(prefix="bench-sizes-"))
    base = base_folder(name, work)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    ids = tokenizer(CORPUS.read_text(encoding="utf-8")[:400_000], add_special_tokens=False)["input_ids"]
    texts = [tokenizer.decode(ids[i * SEQ:(i + 1) * SEQ]) for i in range(steps * BATCH)]
    folder = new_bot(work / "bot", mode="completion", base_model=str(base))
    (folder.dataset_dir / "train.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    config = folder.config().with_overrides("train", method=method, batch_size=BATCH, max_length=SEQ, max_steps=steps,
                                            eval_every=10_000, sample_tokens=1, eval_at_end=False)
    save_config(folder.root, config)
    result = train(folder.root, log=lambda line: print(line, file=sys.stderr))
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    rates = [row["tokens_per_s"] for row in rows if "loss" in row][1:]
    dtype_bytes = pick_precision("auto", "cpu").itemsize  # the dtype training computed in, as the estimate reads it
    probe, shape, share = machine_flops("cpu", dtype_bytes), shape_of(base), training_share(method, "cpu", dtype_bytes)
    estimate = estimate_run(shape, method=method, tokens=BATCH * SEQ, batch_size=BATCH, max_length=SEQ,
                            lora_r=config.train.lora_r, dtype_bytes=dtype_bytes, flops_per_second=probe * share,
                            free_bytes=0)
    measured, peak = statistics.median(rates), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    estimated_rate = BATCH * SEQ / estimate.seconds
    activations = (activation_bytes(dtype_bytes) * (DROPOUT_FACTOR if shape.dropout else 1) * BATCH * SEQ * shape.hidden
                   * shape.layers)
    return {"arm": f"{name} {method}", "dtype_bytes": dtype_bytes, "tokens_per_s": measured, "peak_mb": peak / 2**20,
            "estimate_tokens_per_s": estimated_rate, "estimate_mb": estimate.memory_bytes / 2**20,
            "share": share * measured / estimated_rate,
            # as if the whole difference were activations, in the compute dtype (without dropout's masks)
            "activation_bytes": (activation_bytes(dtype_bytes) * (peak - estimate.memory_bytes + activations)
                                 / activations),
            "probe_gflops": probe / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--one", nargs=2, metavar=("BASE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 2:
        parser.error("--steps must be at least 2 (the first step is not timed)")
    if args.one:
        print(json.dumps(one_arm(*args.one, args.steps)))
        return
    from botsmith.train.setup import pick_precision

    dtype = str(pick_precision("auto", "cpu")).removeprefix("torch.")
    print(f"{args.steps} steps x {BATCH} x {SEQ} tokens per arm, {dtype}; timed: steps 2..{args.steps} (median)")
    print(f"{'arm':<28} {'tok/s':>8} {'peak MB':>8} {'est tok/s':>10} {'est MB':>8} {'share':>6} {'act B':>6} "
          f"{'probe GFLOP/s':>13}")
    for name, method in ARMS:
        done = subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--one", name, method],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{name} {method}: failed\n{done.stderr[-2000:]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{row['arm']:<28} {row['tokens_per_s']:>8.1f} {row['peak_mb']:>8.0f} "
              f"{row['estimate_tokens_per_s']:>10.1f} {row['estimate_mb']:>8.0f} {row['share']:>6.2f} {row['activation_bytes']:>6.0f} "
              f"{row['probe_gflops']:>13.0f}")


if __name__ == "__main__":
    main()
