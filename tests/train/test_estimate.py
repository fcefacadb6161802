"""The estimate before training: model size from its config, dataset tokens, time and memory, warnings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from botsmith.train.estimate import ModelShape, estimate_run
from botsmith.train.setup import pick_precision

SRC = Path(__file__).resolve().parents[2] / "src"


def test_shape_counts_what_training_trains(tiny_llama, tiny_gpt2):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from botsmith.train.estimate import shape_of
    from botsmith.train.prepare import find_target_modules

    for folder in (tiny_llama, tiny_gpt2):
        model = AutoModelForCausalLM.from_pretrained(str(folder))
        shape = shape_of(folder)
        assert shape.params == sum(p.numel() for p in model.parameters())
        assert (shape.layers, shape.hidden, shape.vocab) == (2, 32, model.config.vocab_size)
        assert shape.dropout == (folder == tiny_gpt2)  # GPT-2 trains with dropout 0.1, the Llama with none
        lora = get_peft_model(model, LoraConfig(r=4, target_modules=find_target_modules(model),
                                                fan_in_fan_out=folder == tiny_gpt2))
        assert shape.lora_per_rank * 4 == sum(p.numel() for p in lora.parameters() if p.requires_grad)


def test_warnings_when_it_will_not_fit_or_takes_days():
    shape = ModelShape(params=1_000_000_000, layers=24, hidden=2048, vocab=50_000, lora_per_rank=600_000)
    run = dict(batch_size=8, max_length=256, lora_r=16, flops_per_second=1e11)
    small = estimate_run(shape, method="lora", tokens=100_000, free_bytes=64 * 2**30, **run)
    assert small.warnings == [] and small.seconds == pytest.approx(100_000 * (4e9 + 6 * 24 * 2048 * 256) / 1e11)
    full = estimate_run(shape, method="full", tokens=100_000, free_bytes=8 * 2**30, **run)
    assert full.memory_bytes > 16 * 1_000_000_000 and "this will not fit" in full.warnings[0]
    assert "method = 'lora'" in full.warnings[0]
    novels = estimate_run(shape, method="lora", tokens=200_000_000, free_bytes=64 * 2**30, **run)
    assert "too many novels" in novels.warnings[0] and "days" in novels.warnings[0]
    checkpointed = estimate_run(shape, method="lora", tokens=1, free_bytes=0, gradient_checkpointing=True, **run)
    assert checkpointed.memory_bytes < small.memory_bytes


def test_the_output_layer_counts_only_where_training_has_targets(tmp_path):
    import json

    from botsmith.train.estimate import dataset_records, trained_share

    rows = [{"messages": [{"role": "user", "content": "x" * 30}, {"role": "assistant", "content": "y" * 10}]},
            {"text": "z" * 20}, {"prompt": "p" * 15, "completion": "c" * 5}]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    # characters with targets over all of them (a conversation's turns are joined by a newline): 10 + 20 + 5 of 81
    assert trained_share(dataset_records(tmp_path / "train.jsonl")) == pytest.approx(35 / 81)
    shape = ModelShape(params=135_000_000, layers=30, hidden=576, vocab=49_152, lora_per_rank=300_000)
    run = dict(method="lora", tokens=10_000, batch_size=8, max_length=256, lora_r=16, flops_per_second=1e11,
               free_bytes=0)
    text, dialogue = estimate_run(shape, **run), estimate_run(shape, trained_share=0.25, **run)
    assert text.seconds - dialogue.seconds == pytest.approx(10_000 * 4 * 49_152 * 576 * 0.75 / 1e11)


def test_train_logs_the_estimate_and_train_estimate_only_prints_it(make_bot, tmp_path, tiny_llama):
    from botsmith.train import train
    from botsmith.train.estimate import dataset_records, dataset_tokens
    from botsmith.dataset.tokens import load_tokenizer
    from botsmith.records import read_records

    bot = make_bot(tmp_path / "bot", tiny_llama, mode="chat", max_steps=2)
    train_file = bot.dataset_dir / "train.jsonl"
    tokenizer = load_tokenizer(str(tiny_llama))
    exact = sum(len(tokenizer("\n".join(m["content"] for m in r["messages"]), add_special_tokens=False)["input_ids"])
                for r in read_records(train_file))
    counted, examples = dataset_tokens(dataset_records(train_file), tokenizer)
    assert examples == 40 and exact <= counted <= exact + 4 * 2 * 40 + 40
    lines = []
    train(bot.root, log=lines.append)
    assert lines[0].startswith("estimate: ~") and "lora, " in lines[0] and "GB of memory" in lines[0]
    done = subprocess.run([sys.executable, "-m", "botsmith", "train", str(bot.root), "--estimate", "--method", "full"],
                          capture_output=True, text=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin",
                                                               "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("estimate: ~") and "(full, " in done.stdout
    assert len(list(bot.runs_dir.iterdir())) == 1  # the estimate started no run


def test_recommended_bases_list_their_needs():
    done = subprocess.run([sys.executable, "-m", "botsmith", "models", "recommended"], capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    # The probe and the needs are in the dtype training computes in here: a bf16 probe on a CPU without bf16 read
    # 1 GFLOP/s (an AVX2 EPYC), against 150 in fp32.
    dtype = "bf16" if pick_precision("auto", "cpu") == torch.bfloat16 else "fp32"
    assert f"batch 8, {dtype} (LoRA" in done.stdout.splitlines()[0]
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[2:]}
    assert {"smollm2-135m", "gpt2", "gpt2-large", "gpt2-xl", "distilgpt2", "Qwen/Qwen3-0.6B"} <= set(rows)
    assert "GB" in rows["gpt2-large"] and "selfchatbot" in rows["gpt2-large"]
