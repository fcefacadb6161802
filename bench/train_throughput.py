"""Training throughput: botsmith train vs the Hugging Face Trainer + PEFT LoRA setup a user would write.

Same data, same tokens, same hyperparameters for every arm:
  the default model (smollm2-135m), LoRA r=16 alpha=32 on every linear layer of the blocks, LoRA
  dropout --lora-dropout (default 0, botsmith's default), 256-token sequences, batch 8, AdamW lr 2e-4
  with cosine decay and no warmup (so every arm uses the same rate at every step: HF's warmup starts at
  0, botsmith's does not), STEPS optimizer steps over the same STEPS*8 sequences cut from Pride and
  Prejudice, whose last tenth is held out.
Arms (--arms):
  trainer-fp32    Trainer + PEFT in fp32, what runs by default on a CPU
  trainer-bf16    Trainer + PEFT with bf16=True (autocast), what a user with a bf16 CPU would also try
  botsmith        botsmith train, bf16 weights on CPUs with AMX, its CPU kernels on (the default)
  botsmith-plain  botsmith train with [train] cpu_kernels = false (optional: what the kernels add)
Each arm runs in its own process (so peak memory is its own) and saves its adapter; the adapters are
then scored by the same fp32 code on the same held-out sequences. Every arm is timed the same way: a
hook on torch's optimizer step records when each step ends, a step's time is from the end of the one
before (data, forward, backward, optimizer, logging: everything), and the first step (one-off setup)
is left out.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/train_throughput.py [--steps 12] [--rounds 2] [--lora-dropout 0]

The rounds run the arms in alternating order (ABC, CBA, ...), so a change in the shared CPU's speed
during the benchmark weighs on all arms alike. Prints a table (tokens/s over all runs, median step,
peak resident memory, held-out loss, speed-up over each Trainer arm) and each round's own ratios.
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
SEQ, BATCH, RANK, ALPHA, LR, SEED = 256, 8, 16, 32, 2e-4, 42
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


BASELINES = ("trainer-fp32", "trainer-bf16")
ARMS = (*BASELINES, "botsmith", "botsmith-plain")
LABELS = {"trainer-fp32": "HF Trainer + PEFT, fp32", "trainer-bf16": "HF Trainer + PEFT, bf16=True",
          "botsmith": "botsmith train", "botsmith-plain": "botsmith, cpu_kernels=false"}


def arm_trainer(work: Path, steps: int, bf16: bool, dropout: float) -> dict:
    """What a user writes without botsmith: Trainer + PEFT LoRA on the CPU, in fp32 or with bf16 autocast."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForLanguageModeling, Trainer, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(str(model_path()))
    model = AutoModelForCausalLM.from_pretrained(str(model_path()), dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=dropout, target_modules="all-linear",
                                             task_type="CAUSAL_LM"))
    rows = [{"input_ids": ids} for ids in tokenizer(texts(work / "train.jsonl"), truncation=True, max_length=SEQ)["input_ids"]]
    args = TrainingArguments(output_dir=str(work / "hf"), per_device_train_batch_size=BATCH, max_steps=steps,
                             learning_rate=LR, lr_scheduler_type="cosine", warmup_steps=0, weight_decay=0.0,
                             max_grad_norm=1.0, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                             bf16=bf16, seed=SEED, dataloader_num_workers=0, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=rows,
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False))
    with StepClock() as clock:
        trainer.train()
    model.save_pretrained(str(work / "adapter"))
    tokens_per_step = sum(len(row["input_ids"]) for row in rows[: steps * BATCH]) / steps
    return clock.result(tokens_per_step, str(work / "adapter"))


class StepClock:
    """When each optimizer step ends and the rate it used, from hooks on every torch optimizer: the same
    measurement for every arm, whatever loop drives the optimizer."""

    def __enter__(self) -> "StepClock":
        from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

        self.ends, self.rates = [], []
        self.hooks = [register_optimizer_step_pre_hook(lambda opt, *_: self.rates.append(opt.param_groups[0]["lr"])),
                      register_optimizer_step_post_hook(lambda *_: self.ends.append(time.perf_counter()))]
        return self

    def __exit__(self, *exc) -> None:
        for hook in self.hooks:
            hook.remove()

    def result(self, tokens_per_step: float, adapter: str) -> dict:
        steps = [b - a for a, b in zip(self.ends, self.ends[1:])]  # the first step (setup) is left out
        return {"seconds": sum(steps), "tokens": tokens_per_step * len(steps), "step_seconds": steps,
                "rates": self.rates, "adapter": adapter}


def arm_botsmith(work: Path, steps: int, dropout: float, cpu_kernels: bool = True) -> dict:
    from botsmith.bot_folder import new_bot
    from botsmith.config import save_config
    from botsmith.train import train

    folder = new_bot(work / "bot", mode="completion")
    (folder.dataset_dir / "train.jsonl").write_text((work / "train.jsonl").read_text())
    config = folder.config().with_overrides(
        "train", method="lora", lora_r=RANK, lora_alpha=ALPHA, lora_dropout=dropout, batch_size=BATCH, max_length=SEQ,
        learning_rate=LR, schedule="cosine", warmup_steps=0, warmup_ratio=0.0, max_steps=steps, eval_every=10_000,
        seed=SEED, sample_prompts=["It is a truth universally acknowledged"], sample_tokens=8, cpu_kernels=cpu_kernels)
    save_config(folder.root, config)
    with StepClock() as clock:
        result = train(folder.root, log=lambda line: print(line, file=sys.stderr))
    metrics = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    tokens = [row["tokens"] for row in metrics if "loss" in row]
    return clock.result(tokens[-1] / len(tokens), str(result.final_dir))


def held_out_loss(work: Path, adapter: str) -> float:
    """Mean loss per predicted token on the held-out sequences, in fp32, the same code for every arm."""
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


def run_arm(name: str, work: Path, steps: int, dropout: float) -> dict:
    """One arm in a fresh process, so its peak memory is its own."""
    out = subprocess.run([sys.executable, __file__, "--arm", name, "--work", str(work), "--steps", str(steps),
                          "--lora-dropout", str(dropout)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{name} arm failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(arm: str, work: Path, steps: int, dropout: float) -> None:
    import torch

    torch.set_num_threads(os.cpu_count() or 2)
    if arm in BASELINES:
        result = arm_trainer(work, steps, bf16=arm == "trainer-bf16", dropout=dropout)
    else:
        result = arm_botsmith(work, steps, dropout, cpu_kernels=arm == "botsmith")
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--lora-dropout", type=float, default=0.0, help="every arm's LoRA dropout (botsmith's default: 0)")
    parser.add_argument("--rounds", type=int, default=2, help="each arm runs this many times, in alternating order")
    parser.add_argument("--arms", default="trainer-fp32,trainer-bf16,botsmith",
                        help=f"comma-separated, from {', '.join(ARMS)}")
    parser.add_argument("--arm", choices=ARMS)
    parser.add_argument("--work")
    args = parser.parse_args()
    arms = [arm.strip() for arm in args.arms.split(",") if arm.strip()]
    if args.steps < 2 or args.rounds < 1:
        parser.error("--steps must be at least 2 (the first step is not timed) and --rounds at least 1")
    if not arms or any(arm not in ARMS for arm in arms):
        parser.error(f"--arms: choose from {', '.join(ARMS)}")
    if args.arm:
        return child(args.arm, Path(args.work), args.steps, args.lora_dropout)
    work = Path(tempfile.mkdtemp(prefix="botsmith-bench-"))
    os.environ.setdefault("BOTSMITH_HOME", str(Path.home() / ".cache" / "botsmith"))
    make_data(work, args.steps)
    runs = run_rounds(work, arms, args.steps, args.rounds, args.lora_dropout)
    results = {name: combined(arm_runs) for name, arm_runs in runs.items()}
    for result in results.values():
        result["held_out"] = held_out_loss(work, result["adapter"])
    print_table(results, args.steps, args.rounds, args.lora_dropout)
    print_rounds(runs)


def run_rounds(work: Path, arms: list[str], steps: int, rounds: int, dropout: float) -> dict[str, list[dict]]:
    """Each arm `rounds` times, in order ABC then CBA ...; each run its own outputs, the same training data."""
    runs: dict[str, list[dict]] = {arm: [] for arm in arms}
    for round_index in range(rounds):
        for name in arms if round_index % 2 == 0 else arms[::-1]:
            run_work = work / f"round{round_index}-{name}"
            run_work.mkdir()
            shutil.copy(work / "train.jsonl", run_work / "train.jsonl")
            runs[name].append(run_arm(name, run_work, steps, dropout))
            print(f"round {round_index + 1}: {name} {tokens_per_s(runs[name][-1]):.1f} tokens/s", file=sys.stderr)
    return runs


def tokens_per_s(run: dict) -> float:
    return run["tokens"] / run["seconds"]


def combined(arm_runs: list[dict]) -> dict:
    """One arm's runs as one: tokens and seconds summed, the highest peak, the first run's adapter."""
    return {"seconds": sum(r["seconds"] for r in arm_runs), "tokens": sum(r["tokens"] for r in arm_runs),
            "step_seconds": [s for r in arm_runs for s in r["step_seconds"]], "rates": arm_runs[0]["rates"],
            "peak_mb": max(r["peak_mb"] for r in arm_runs), "adapter": arm_runs[0]["adapter"]}


def print_table(results: dict, steps: int, rounds: int, dropout: float) -> None:
    baselines = [name for name in BASELINES if name in results]
    print(f"\n{steps} steps x {BATCH} x {SEQ} tokens, {rounds} run(s) per arm, smollm2-135m, LoRA r={RANK} "
          f"alpha={ALPHA} dropout={dropout:g}, {os.cpu_count()} CPU threads; steps 2-{steps} of each run timed")
    print("tokens/s: tokens of the timed steps / their time; median: tokens per step / median step time "
          "(robust to other jobs on a shared CPU); vs: this arm's tokens/s over that Trainer arm's")
    header = f"{'arm':<30} {'tokens/s':>9} {'median':>8} {'s/step':>7} {'peak MB':>8} {'held-out loss':>14}"
    print(header + "".join(f" {'vs ' + name:>17}" for name in baselines))
    for name, r in results.items():
        speed = tokens_per_s(r)
        median = statistics.median(r["step_seconds"])
        per_step = r["tokens"] / len(r["step_seconds"])
        line = (f"{LABELS[name]:<30} {speed:>9.1f} {per_step / median:>8.1f} {r['seconds'] / len(r['step_seconds']):>7.2f} "
                f"{r['peak_mb']:>8.0f} {r['held_out']:>14.4f}")
        print(line + "".join(f" {speed / tokens_per_s(results[base]):>16.2f}x" for base in baselines))
    rates = [r["rates"] for r in results.values()]
    same = all(len(a) == len(rates[0]) and all(abs(x - y) <= 1e-9 + 1e-6 * abs(y) for x, y in zip(a, rates[0]))
               for a in rates)
    print(f"learning rate at each step, {'the same in every arm' if same else 'DIFFERENT between arms'}: "
          + ", ".join(f"{rate:.3g}" for rate in rates[0]))


def print_rounds(runs: dict[str, list[dict]]) -> None:
    """Each round's own ratio: botsmith's run over each Trainer arm's run of that round."""
    for base in (name for name in BASELINES if name in runs):
        for mine in (name for name in ("botsmith", "botsmith-plain") if name in runs):
            ratios = [tokens_per_s(b) / tokens_per_s(a) for a, b in zip(runs[base], runs[mine])]
            print(f"{LABELS[mine]} / {LABELS[base]}, each round: " + ", ".join(f"{ratio:.2f}x" for ratio in ratios))


if __name__ == "__main__":
    main()
