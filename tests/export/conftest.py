"""Bots with a trained-looking LoRA checkpoint, made here from the tiny models (no training needed).

The LoRA B matrices are random and non-zero (PEFT's init_lora_weights=False), so the
merged model really differs from its base and every export path has something to carry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

def all_passed(checks: list[str]) -> bool:
    """Every verification line passed, or is llama.cpp's, skipped only where llama-cpp-python is missing."""
    from botsmith.llama_cpp_runtime import llama_cpp_available

    skipped = [line for line in checks if line.strip().startswith("skip")]
    return bool(checks) and all(line.strip().startswith(("ok", "skip")) for line in checks) \
        and (not skipped if llama_cpp_available() else all(line.split()[1].startswith("llama.cpp") for line in skipped))


LORA_TARGETS = {"llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                "gpt2": ["c_attn", "c_proj", "c_fc"]}


def make_trained_bot(root: Path, base: Path, kind: str, *, mode: str = "chat", system_prompt: str = "",
                     method: str = "lora", run_id: str = "20260101-120000") -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from botsmith.bot_folder import new_bot
    from botsmith.chat_format import install_chat_format
    from botsmith.config import load_config, save_config

    folder = new_bot(root, mode=mode, base_model=str(base), name=f"Tiny {kind} bot")
    if system_prompt:
        config = load_config(root)
        config.bot.system_prompt = system_prompt
        save_config(root, config)
    run_dir = folder.runs_dir / run_id
    best = run_dir / "best"
    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    install_chat_format(tokenizer, model)
    if method == "lora":
        lora = LoraConfig(r=4, lora_alpha=8, target_modules=LORA_TARGETS[kind], init_lora_weights=False,
                          fan_in_fan_out=kind == "gpt2")
        model = get_peft_model(model, lora)
    model.save_pretrained(best)
    tokenizer.save_pretrained(best)
    info = {"kind": "lora" if method == "lora" else "full", "base_model": str(base), "step": 1, "val_loss": 1.0,
            "method": method}
    (best / "botsmith_checkpoint.json").write_text(json.dumps(info))
    (run_dir / "summary.json").write_text(json.dumps({"status": "finished", "best_val_loss": 1.0, "steps": 1}))
    (run_dir / "samples.jsonl").write_text(json.dumps({"step": 1, "prompt": "Hello", "output": "Hi there, friend."}) + "\n")
    return root


@pytest.fixture(scope="session")
def llama_bot(tiny_llama, tmp_path_factory) -> Path:
    return make_trained_bot(tmp_path_factory.mktemp("bots") / "llama-bot", tiny_llama, "llama",
                            system_prompt="You are a sea captain.")


@pytest.fixture(scope="session")
def gpt2_bot(tiny_gpt2, tmp_path_factory) -> Path:
    return make_trained_bot(tmp_path_factory.mktemp("bots") / "gpt2-bot", tiny_gpt2, "gpt2", mode="completion")
