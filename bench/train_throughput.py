"""Training throughput: botsmith train vs the Hugging Face Trainer + PEFT LoRA setup a user would write.

Same data, same tokens, same hyperparameters for both arms:
  the default model (smollm2-135m), LoRA r=16 alpha=32 dropout=0.05 on every linear layer of the
  blocks, 256-token sequences, batch 8, AdamW lr 2e-4 with linear warmup (1 step) and cosine decay,
  STEPS optimizer steps over the same STEPS*8 sequences cut from Pride and Prejudice, whose last
  tenth is held out. Each arm runs in its own process (so peak memory is its own) and saves its
  adapter; both adapters are then scored by the same fp32 code on the same held-out sequences.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/train_throughput.py [--steps 12] [--rounds 2]

The arms run in the order baseline, botsmith, botsmith, baseline (--rounds 2; 1: one run each), so a
change in the shared CPU's speed during the benchmark weighs on both arms alike; each arm's tokens/s is
over all its runs. Prints a table: training tokens/s, step time, peak resident memory, held-out loss, and
each round's own ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "pride_and_prejudice.txt"
SEQ, BATCH, RANK, ALPHA, DROPOUT, LR, SEED = 256, 8, 16, 32, 0.05, 2e-4, 42
HELD_OUT_SEQUENCES = 16


def model_path() -> Path:
    from botsmith.models import resolve_model

    return resolve_model("smollm2-135m")


def make_data(work: Path, steps: int) -> None:
    """Token windows of the corpus, decoded to text: train (head) and held out (last tenth)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path()))
    ids = tokenizer(CORPUS.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
    split = len(ids) - len(ids) // 10
    windows = lambda tokens, n: [tokens[i * SEQ:(i + 1) * SEQ] for i in range(n)]  # noqa: E731
    train = [tokenizer.decode(w) for w in windows(ids[:split], steps * BATCH)]
    held = [tokenizer.decode(w) for w in windows(ids[split:], HELD_OUT_SEQUENCES)]
    (work / "train.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in train))
    (work / "held_out.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in held))


def texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text().splitlines()]


def encode(tokenizer, batch: list[str]):
    return tokenizer(batch, truncation=True, max_length=SEQ, padding=True, return_tensors="pt")


def arm_baseline(work: Path, steps: int) -> dict:
    """What a user writes without botsmith: Trainer + PEFT LoRA, fp32 on the CPU."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForLanguageModeling, Trainer, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(str(model_path()))
    model = AutoModelForCausalLM.from_pretrained(str(model_path()), dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=DROPOUT, target_modules="all-linear",
                                             task_type="CAUSAL_LM"))
    rows = [{"input_ids": ids} for ids in tokenizer(texts(work / "train.jsonl"), truncation=True, max_length=SEQ)["input_ids"]]
    args = TrainingArguments(output_dir=str(work / "hf"), per_device_train_batch_size=BATCH, max_steps=steps,
                             learning_rate=LR, lr_scheduler_type="cosine", warmup_steps=1, weight_decay=0.0,
                             max_grad_norm=1.0, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                             seed=SEED, dataloader_num_workers=0, disable_tqdm=True)
    timer = StepTimer()
    trainer = Trainer(model=model, args=args, train_dataset=rows,
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False), callbacks=[timer])
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    model.save_pretrained(str(work / "baseline-adapter"))
    tokens = sum(len(row["input_ids"]) for row in rows[: steps * BATCH])
    return {"seconds": seconds, "tokens": tokens, "adapter": str(work / "baseline-adapter"),
            "step_seconds": timer.durations}


def StepTimer():
    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        def __init__(self):
            self.durations, self.started = [], 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.durations.append(time.perf_counter() - self.started)

    return Timer()


def arm_botsmith(work: Path, steps: int) -> dict:
    from botsmith.bot_folder import new_bot
    from botsmith.config import save_config
    from botsmith.train import train

    folder = new_bot(work / "bot", mode="completion")
    (folder.dataset_dir / "train.jsonl").write_text((work / "train.jsonl").read_text())
    config = folder.config().with_overrides(
        "train", method="lora", lora_r=RANK, lora_alpha=ALPHA, lora_dropout=DROPOUT, batch_size=BATCH, max_length=SEQ,
        learning_rate=LR, schedule="cosine", warmup_steps=1, max_steps=steps, eval_every=10_000, seed=SEED,
        sample_prompts=["It is a truth universally acknowledged"], sample_tokens=8)
    save_config(folder.root, config)
    result = train(folder.root, log=lambda line: print(line, file=sys.stderr))
    metrics = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    steps_rows = [row for row in metrics if "loss" in row]
    elapsed = [0.0] + [row["elapsed"] for row in steps_rows]
    return {"seconds": elapsed[-1], "tokens": steps_rows[-1]["tokens"], "adapter": str(result.final_dir),
            "step_seconds": [b - a for a, b in zip(elapsed, elapsed[1:])]}


def held_out_loss(work: Path, adapter: str) -> float:
    """Mean loss per predicted token on the held-out sequences, in fp32, the same code for both arms."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path()))
    model = AutoModelForCausalLM.from_pretrained(str(model_path()), dtype=torch.float32)
    model = PeftModel.from_pretrained(model, adapter).eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, HELD_OUT_SEQUENCES, 4):
            batch = encode(tokenizer, texts(work / "held_out.jsonl")[start:start + 4])
            labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
            n = int((labels[:, 1:] != -100).sum())
            total += float(model(**batch, labels=labels).loss) * n
            count += n
    return total / count


def run_arm(name: str, work: Path, steps: int) -> dict:
    """One arm in a fresh process, so its peak memory is its own."""
    out = subprocess.run([sys.executable, __file__, "--arm", name, "--work", str(work), "--steps", str(steps)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{name} arm failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(arm: str, work: Path, steps: int) -> None:
    import torch

    torch.set_num_threads(os.cpu_count() or 2)
    result = arm_baseline(work, steps) if arm == "baseline" else arm_botsmith(work, steps)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds: each arm runs this many times")
    parser.add_argument("--arm", choices=["baseline", "botsmith"])
    parser.add_argument("--work")
    args = parser.parse_args()
    if args.steps < 1 or args.rounds < 1:
        parser.error("--steps and --rounds must be at least 1")
    if args.arm:
        return child(args.arm, Path(args.work), args.steps)
    work = Path(tempfile.mkdtemp(prefix="botsmith-bench-"))
    os.environ.setdefault("BOTSMITH_HOME", str(Path.home() / ".cache" / "botsmith"))
    make_data(work, args.steps)
    order = [arm for r in range(args.rounds) for arm in (("baseline", "botsmith") if r % 2 == 0 else ("botsmith", "baseline"))]
    runs = {"baseline": [], "botsmith": []}
    for index, name in enumerate(order):
        run_work = work / f"run{index}-{name}"  # each run its own outputs, the same training data
        run_work.mkdir()
        shutil.copy(work / "train.jsonl", run_work / "train.jsonl")
        runs[name].append(run_arm(name, run_work, args.steps))
    results = {name: combined(arm_runs) for name, arm_runs in runs.items()}
    for result in results.values():
        result["held_out"] = held_out_loss(work, result["adapter"])
    print_table(results, args.steps, args.rounds)
    ratios = [(b["tokens"] / b["seconds"]) / (a["tokens"] / a["seconds"]) for a, b in zip(runs["baseline"], runs["botsmith"])]
    print("speed-up of each round (botsmith run / baseline run in the order above): "
          + ", ".join(f"{ratio:.2f}x" for ratio in ratios))


def combined(arm_runs: list[dict]) -> dict:
    """One arm's runs as one: tokens and seconds summed, the highest peak, the first run's adapter."""
    return {"seconds": sum(r["seconds"] for r in arm_runs), "tokens": sum(r["tokens"] for r in arm_runs),
            "step_seconds": [s for r in arm_runs for s in r["step_seconds"]],
            "peak_mb": max(r["peak_mb"] for r in arm_runs), "adapter": arm_runs[0]["adapter"]}


def print_table(results: dict, steps: int, rounds: int) -> None:
    base = results["baseline"]
    print(f"\n{steps} steps x {BATCH} x {SEQ} tokens, {rounds} run(s) per arm, smollm2-135m, LoRA r={RANK} alpha={ALPHA}, "
          f"{os.cpu_count()} CPU threads")
    steps *= rounds
    print("tokens/s: all training tokens / training time; median: tokens per step / median step time "
          "(robust to other jobs on a shared CPU)")
    print(f"{'arm':<26} {'tokens/s':>9} {'median':>8} {'s/step':>7} {'peak MB':>8} {'held-out loss':>14} {'speed-up':>9}")
    for name, label in (("baseline", "HF Trainer + PEFT (fp32)"), ("botsmith", "botsmith train")):
        r = results[name]
        speed = r["tokens"] / r["seconds"]
        median = statistics.median(r["step_seconds"])
        print(f"{label:<26} {speed:>9.1f} {r['tokens'] / steps / median:>8.1f} {r['seconds'] / steps:>7.2f} "
              f"{r['peak_mb']:>8.0f} {r['held_out']:>14.4f} {speed / (base['tokens'] / base['seconds']):>8.2f}x")


if __name__ == "__main__":
    main()
