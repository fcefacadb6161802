"""The merged model as a standalone Hugging Face folder: safetensors, tokenizer, chat template,
generation config, and a model card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.bot_folder import BotFolder
from botsmith.errors import BotsmithError
from botsmith.export.card import CardFacts, last_samples, read_json, read_sources


def save_hf_folder(loaded: Any, config: Any, folder: Path) -> list[str]:
    """Write model + tokenizer into `folder`; returns the file names written."""
    loaded.model.generation_config = generation_config(loaded, config)
    loaded.model.save_pretrained(folder, safe_serialization=True)
    loaded.tokenizer.chat_template = loaded.chat_format.jinja
    loaded.tokenizer.save_pretrained(folder)
    return sorted(path.name for path in folder.iterdir() if path.is_file())


def generation_config(loaded: Any, config: Any) -> Any:
    """Sampling defaults from [generate], stopping at eos and at every end-of-turn marker."""
    from transformers import GenerationConfig

    tokenizer, generate = loaded.tokenizer, config.generate
    stops = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    if config.bot.mode != "completion":
        for marker in loaded.chat_format.stop:
            token_id = tokenizer.convert_tokens_to_ids(marker)
            if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and token_id not in stops:
                stops.append(token_id)
    sampling = generate.temperature > 0
    return GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=stops if len(stops) > 1 else (stops or [None])[0],
        pad_token_id=tokenizer.pad_token_id, do_sample=sampling, max_new_tokens=generate.max_new_tokens,
        repetition_penalty=generate.repetition_penalty,
        **({"temperature": generate.temperature, "top_p": generate.top_p, "top_k": generate.top_k,
                "min_p": generate.min_p or None, "epsilon_cutoff": generate.epsilon_cutoff or None}
               if sampling else {}),
    )


def verify_hf_folder(folder: Path, loaded: Any) -> list[str]:
    """Reload the folder on its own and check it computes what the merged model does."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    text = loaded.chat_format.prompt([{"role": "user", "content": "Hello, who are you?"}])
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    if tokenizer(text, return_tensors="pt")["input_ids"].tolist() != ids.tolist():
        raise BotsmithError(f"verification failed for {folder.name}: the saved tokenizer encodes differently")
    with torch.no_grad():
        diff = float((model(ids).logits - loaded.model(ids).logits).abs().max())
    if diff > 1e-4:
        raise BotsmithError(f"verification failed for {folder.name}: reloaded logits differ by {diff:.3g}")
    if tokenizer.chat_template != loaded.chat_format.jinja:
        raise BotsmithError(f"verification failed for {folder.name}: the saved chat template differs")
    return [f"  ok   reloaded model: logits within {diff:.2g} of the merged model",
            "  ok   tokenizer and chat template: identical after reload"]


def card_facts(folder: BotFolder, config: Any, loaded: Any, info: dict, run_dir: Path | None,
               files: dict[str, str]) -> CardFacts:
    summary = (read_json(run_dir / "summary.json") if run_dir else None) or {}
    val_loss = info.get("val_loss", summary.get("best_val_loss"))
    train = _run_train_settings(run_dir) or config.train.model_dump()
    settings = {key: train[key] for key in ("epochs", "max_steps", "learning_rate", "batch_size", "grad_accum",
                                            "max_length", "lora_r", "lora_alpha") if key in train}
    if info.get("kind") != "lora":
        settings = {k: v for k, v in settings.items() if not k.startswith("lora")}
    stats = read_json(folder.dataset_dir / "stats.json")
    return CardFacts(
        name=config.bot.name, base_model=str(loaded.base_model), mode=config.bot.mode,
        method=str(info.get("method", config.train.method)), step=info.get("step", summary.get("steps")),
        val_loss=val_loss if isinstance(val_loss, (int, float)) else None, train_settings=settings,
        system_prompt=loaded.chat_format.system_prompt or "", sources=read_sources(folder.clean_dir),
        dataset_stats=stats if isinstance(stats, dict) else {}, samples=last_samples(run_dir), files=files,
        evaluation=_evaluation(run_dir, info))


def _evaluation(run_dir: Path | None, info: dict) -> dict:
    """The run's eval report, when it evaluated the very checkpoint being exported (same step)."""
    report = read_json(run_dir / "eval" / "report.json") if run_dir else None
    if not isinstance(report, dict) or report.get("format") != 1:
        return {}
    return report if report.get("checkpoint", {}).get("step") == info.get("step") else {}


def _run_train_settings(run_dir: Path | None) -> dict | None:
    """The [train] table the run actually used (runs/<id>/config.toml), if it is there."""
    import tomllib

    try:
        table = tomllib.loads((run_dir / "config.toml").read_text(encoding="utf-8")).get("train") if run_dir else None
    except (OSError, ValueError):
        return None
    return table if isinstance(table, dict) else None
