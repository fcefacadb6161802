"""End-to-end training on tiny models: what a run writes, what it learns, how it fails."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from botsmith.errors import BotsmithError
from botsmith.models import load_base, load_checkpoint
from botsmith.runs import list_runs
from botsmith.train import train


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "botsmith", *args], capture_output=True, text=True, timeout=300)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_lora_run_writes_the_run_folder(llama_bot):
    result = train(llama_bot.root, log=lambda line: None)
    run = result.run_dir
    assert result.steps == 6 and result.best_val_loss is not None
    for name in ("config.toml", "dataset.json", "metrics.jsonl", "samples.jsonl", "train.log", "summary.json", "loss.png"):
        assert (run / name).is_file(), name
    for name in ("best", "final", "last"):
        files = {path.name for path in (run / name).iterdir()}
        assert {"adapter_model.safetensors", "adapter_config.json", "botsmith_checkpoint.json", "tokenizer.json"} <= files
        assert not any(f.endswith((".bin", ".pt", ".pth")) for f in files)
    info = json.loads((run / "best" / "botsmith_checkpoint.json").read_text())
    assert info["kind"] == "lora" and info["method"] == "lora" and info["val_loss"] == pytest.approx(result.best_val_loss)
    metrics = lines(run / "metrics.jsonl")
    assert [row["step"] for row in metrics if "loss" in row] == [1, 2, 3, 4, 5, 6]
    assert [row["step"] for row in metrics if "val_loss" in row] == [0, 3, 6]  # step 0: the base model
    assert {row["step"] for row in lines(run / "samples.jsonl")} == {3, 6}
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"
    adapter = load_file(run / "final" / "adapter_model.safetensors")
    assert all(t.abs().sum() > 0 for k, t in adapter.items() if "lora_B" in k)  # B starts at zero: it trained
    loaded = load_checkpoint(run / "best")
    assert loaded.model.generate(input_ids=torch.tensor([[5, 6, 7]]), max_new_tokens=3).shape == (1, 6)
    assert [r.best_val_loss for r in list_runs(llama_bot.runs_dir)] == [result.best_val_loss]


@pytest.mark.parametrize("method, learning_rate", [("full", 3e-3), ("lora", 2e-2)])
def test_validation_loss_goes_down(tmp_path, tiny_llama, make_bot, method, learning_rate):
    bot = make_bot(tmp_path / "bot", tiny_llama, method=method, max_steps=30, eval_every=10,
                   learning_rate=learning_rate, lora_dropout=0.0)
    result = train(bot.root, log=lambda line: None)
    rows = [row for row in lines(result.run_dir / "metrics.jsonl") if "val_loss" in row]
    base, losses = rows[0]["val_loss"], [row["val_loss"] for row in rows[1:]]
    assert rows[0]["step"] == 0 and base > losses[0]  # the base model's loss is where the curve starts
    assert losses == sorted(losses, reverse=True) and len(set(losses)) == 3
    if method == "full":  # a width-32 model learns little through rank-16 adapters; full weights move it
        assert losses[-1] < losses[0] - 0.5


def test_full_fine_tuning_of_gpt2_saves_safetensors_weights(tmp_path, tiny_gpt2, make_bot):
    bot = make_bot(tmp_path / "bot", tiny_gpt2, method="full", max_steps=3)
    result = train(bot.root, log=lambda line: None)
    files = {path.name for path in result.final_dir.iterdir()}
    assert "model.safetensors" in files and "config.json" in files and "adapter_config.json" not in files
    assert json.loads((result.final_dir / "botsmith_checkpoint.json").read_text())["kind"] == "full"
    before = load_file(tiny_gpt2 / "model.safetensors")
    after = load_file(result.final_dir / "model.safetensors")
    name = next(k for k in after if k.endswith("mlp.c_fc.weight"))
    assert not torch.equal(before[name].float(), after[name].float())


def test_gpt2_chat_trains_the_new_chatml_token_rows(tmp_path, gpt2_without_chatml, make_bot):
    bot = make_bot(tmp_path / "bot", gpt2_without_chatml, mode="dialogue", max_steps=4)
    result = train(bot.root, log=lambda line: None)
    adapter = load_file(result.final_dir / "adapter_model.safetensors")
    assert any("lora_A" in key and "c_attn" in key for key in adapter)  # Conv1D layers found by type
    assert any("trainable_tokens" in key for key in adapter)  # the added <|im_start|>/<|im_end|> rows
    torch.manual_seed(42)  # new rows are initialised randomly on load: the same way each time
    loaded = load_checkpoint(result.best_dir)
    assert loaded.tokenizer.convert_tokens_to_ids("<|im_end|>") >= 300 and loaded.chat_format.family == "chatml"
    end = torch.tensor([loaded.tokenizer.convert_tokens_to_ids("<|im_end|>")])
    torch.manual_seed(42)  # training seeds like this before loading, so the new rows start the same here
    start = load_base(str(gpt2_without_chatml)).model.get_input_embeddings()(end)
    trained = loaded.model.get_input_embeddings()(end)
    assert start.shape == trained.shape and not torch.equal(start, trained)


def test_runs_are_deterministic_on_cpu(tmp_path, tiny_llama, make_bot):
    results = [train(make_bot(tmp_path / f"bot{i}", tiny_llama).root, log=lambda line: None) for i in range(2)]
    first, second = (load_file(r.final_dir / "adapter_model.safetensors") for r in results)
    assert all(torch.equal(first[key], second[key]) for key in first)


def test_gradient_checkpointing_trains_the_same_weights(tmp_path, tiny_llama, make_bot):
    """Recomputing activations in backward (dropout masks included) changes memory, not the result."""
    results = [train(make_bot(tmp_path / f"bot{flag}", tiny_llama, gradient_checkpointing=flag, lora_dropout=0.2,
                              max_steps=3).root, log=lambda line: None) for flag in (False, True)]
    plain, checkpointed = (load_file(r.final_dir / "adapter_model.safetensors") for r in results)
    assert all(torch.allclose(plain[key], checkpointed[key], atol=1e-6) for key in plain)
    # and training moved the adapters (LoRA B starts at zero)
    assert any(not torch.equal(value, torch.zeros_like(value)) for key, value in plain.items() if "lora_B" in key)


def test_early_stopping(tmp_path, tiny_llama, make_bot):
    bot = make_bot(tmp_path / "bot", tiny_llama, max_steps=40, eval_every=1, patience=2, learning_rate=2.0,
                   warmup_steps=0, warmup_ratio=0.0, schedule="constant")
    log: list[str] = []
    result = train(bot.root, log=log.append)
    assert result.steps < 40 and any("early stopping" in line for line in log)
    assert result.best_dir.is_dir() and result.final_dir.is_dir()


def test_a_small_character_dataset_trains_at_least_min_steps(tmp_path, tiny_llama, make_bot):
    quick = dict(max_steps=0, epochs=1.0, min_steps=12, eval_every=50)  # 40 examples, batch 4: an epoch is <= 10 steps
    logged = []
    character = make_bot(tmp_path / "character", tiny_llama, mode="dialogue", **quick)
    assert train(character.root, log=logged.append).steps == 12
    assert any(line.startswith("plan: 12 steps") and "epochs: [train] min_steps = 12" in line for line in logged)
    story = make_bot(tmp_path / "story", tiny_llama, mode="completion", **quick)
    assert train(story.root, log=lambda line: None).steps < 12  # a story bot trains exactly `epochs`
    capped = make_bot(tmp_path / "capped", tiny_llama, mode="dialogue", **{**quick, "max_steps": 3})
    assert train(capped.root, log=lambda line: None).steps == 3  # max_steps decides alone


def test_resume_refuses_damaged_or_finished_runs(llama_bot):
    with pytest.raises(BotsmithError, match="no run to resume"):
        train(llama_bot.root, resume=True)
    result = train(llama_bot.root, log=lambda line: None)
    with pytest.raises(BotsmithError, match="finished; there is nothing to resume"):
        train(llama_bot.root, resume=True)
    summary = result.run_dir / "summary.json"
    summary.write_text(summary.read_text().replace('"finished"', '"interrupted"'))
    (result.run_dir / "last" / "training_state.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(BotsmithError, match="last is damaged or incomplete"):
        train(llama_bot.root, resume=True)
    assert load_file(result.best_dir / "adapter_model.safetensors")  # nothing already saved was touched


def test_cli_errors_are_one_line(tmp_path, tiny_llama, make_bot):
    bot = make_bot(tmp_path / "bot", tiny_llama)
    qlora = run_cli("train", str(bot.root), "--method", "qlora")
    assert qlora.returncode == 1 and "Traceback" not in qlora.stderr
    assert "qlora needs a CUDA GPU" in qlora.stderr and "--method lora" in qlora.stderr
    (bot.dataset_dir / "train.jsonl").unlink()
    missing = run_cli("train", str(bot.root))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines()[-1].endswith("no dataset yet (run: botsmith build)")
    listed = run_cli("runs", str(bot.root))
    assert listed.returncode == 0 and "No runs" in listed.stdout


def test_wrong_mode_dataset_is_one_line(tmp_path, tiny_llama, make_bot):
    bot = make_bot(tmp_path / "bot", tiny_llama, mode="completion")
    chat = make_bot(tmp_path / "chat", tiny_llama, mode="chat")
    (bot.dataset_dir / "train.jsonl").write_text((chat.dataset_dir / "train.jsonl").read_text())
    with pytest.raises(BotsmithError, match="'messages' record, but this bot's mode is 'completion'"):
        train(bot.root)
