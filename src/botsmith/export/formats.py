"""The built-in exporters: `hf`, `gguf` and `gguf-lora` (export/api.py registers them like any other)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.atomic import write_json, write_text
from botsmith.export.job import ExportJob, ExportResult, bot_slug
from botsmith.export.gguf.kquants import K_QUANTS, check_quant, quantize_file
from botsmith.export.hf import card_facts, save_hf_folder, verify_hf_folder
from botsmith.export.modelfile import modelfile_text, ollama_params, ollama_template
from botsmith.export.record import RECORD_NAME, write_export_record
from botsmith.llama_cpp_runtime import llama_cpp_available


def load_for_export(job: ExportJob) -> tuple[Any, dict, Path | None]:
    """(LoadedModel merged in float32, with the bot's chat format; checkpoint info; run folder) for the job's checkpoint."""
    import torch

    from botsmith.chat_format import template_setting
    from botsmith.models import load_base, load_checkpoint, read_checkpoint_info
    from botsmith.runs import resolve_checkpoint

    if job.checkpoint == "base":
        loaded = load_base(job.config.bot.base_model, dtype=torch.float32, log=job.log,
                           chat_template=template_setting(job.config.bot.chat_template, job.folder.root))
        info, run_dir = {"kind": "base", "method": "none (base model)"}, None
    else:
        path = resolve_checkpoint(job.folder.runs_dir, job.checkpoint)
        info = read_checkpoint_info(path)
        job.log(f"Loading {path} (merging the LoRA adapter)..." if info.get("kind") == "lora" else f"Loading {path}...")
        loaded = load_checkpoint(path, dtype=torch.float32, merge=True, log=job.log)
        run_dir = path.parent if path.parent.parent == job.folder.runs_dir else None
    loaded.chat_format = bot_chat_format(job, loaded.chat_format, info)
    return loaded, info, run_dir


def bot_chat_format(job: ExportJob, chat_format: Any, info: dict) -> Any:
    """The format with the system prompt the bot was trained with: the export's template defaults to it."""
    from botsmith import system_prompt

    return chat_format.with_system(system_prompt.for_runtime(job.config, job.folder.dataset_dir, info))


def export_hf(job: ExportJob, tmp: Path) -> ExportResult:
    loaded, info, run_dir = load_for_export(job)
    files = save_hf_folder(loaded, job.config, tmp)
    facts = card_facts(job.folder, job.config, loaded, info, run_dir, files={})
    result = ExportResult("hf", tmp, files=[tmp / name for name in files])
    if job.verify:
        result.checks = verify_hf_folder(tmp, loaded)
        job.log("\n".join(["Verification:", *result.checks]))
    write_card(tmp, facts, {name: _describe(name) for name in files})
    return result


def write_card(folder: Path, facts: Any, files: dict[str, str]) -> None:
    from botsmith.export.card import render_card

    facts.files = files
    write_text(folder / "README.md", render_card(facts))


def export_gguf(job: ExportJob, tmp: Path) -> ExportResult:
    from botsmith.export.gguf.verify import verify_gguf
    from botsmith.export.gguf.writer import write_gguf

    check_quant(job.quant)
    loaded, info, run_dir = load_for_export(job)
    config, chat_format = job.config, loaded.chat_format
    ollama_template(chat_format, config.bot.mode)  # a template Ollama cannot express fails before the long write
    gguf_path = tmp / f"{bot_slug(config)}-{job.quant}.gguf"
    options = dict(name=config.bot.name, chat_template=chat_format.jinja, end_of_turn=chat_format.end_of_turn,
                   description=f"{config.bot.mode} bot made with botsmith from {loaded.base_model}")
    job.log(f"Writing {gguf_path.name}...")
    notes: list[str] = []
    if job.quant in K_QUANTS:
        source = tmp / f".{gguf_path.stem}-f32.gguf"
        written = write_gguf(loaded.model, loaded.tokenizer, source, quant="f32", **options)
        notes = quantize_file(source, gguf_path, job.quant)
        source.unlink()
        written.path, written.quant = gguf_path, job.quant
    else:
        written = write_gguf(loaded.model, loaded.tokenizer, gguf_path, quant=job.quant, **options)
    result = ExportResult("gguf", tmp, files=[gguf_path], warnings=[*written.warnings, *notes])
    if job.verify:
        job.log("Verifying: reading the GGUF back and comparing logits with the Hugging Face model...")
        verification = verify_gguf(gguf_path, loaded.model, loaded.tokenizer, written)
        result.checks, result.max_logit_diff = verification.lines(), verification.max_logit_diff
        job.log("\n".join(["Verification:", *result.checks]))
        verification.raise_if_failed()
    result.files += write_ollama_files(tmp, gguf_path.name, job, loaded)
    # Verified means llama.cpp itself passed the export: only then may chat's backend auto run it.
    result.files.append(write_export_record(tmp, quant=job.quant, checkpoint=_source_label(job, loaded.source),
                                            weights_dir=loaded.source, verified=job.verify and llama_cpp_available()))
    facts = card_facts(job.folder, config, loaded, info, run_dir, files={})
    write_card(tmp, facts, {path.name: _describe(path.name) for path in result.files})
    return result


def write_ollama_files(folder: Path, gguf_name: str, job: ExportJob, loaded: Any) -> list[Path]:
    """Modelfile for `ollama create`, and template/params/system for `ollama run hf.co/...`."""
    config, chat_format = job.config, loaded.chat_format
    mode, system = config.bot.mode, chat_format.system_prompt
    context = _context_length(loaded.model.config)
    write_text(folder / "Modelfile", modelfile_text(gguf_name, chat_format=chat_format, mode=mode,
                                                    generate=config.generate, context_length=context))
    write_text(folder / "template", ollama_template(chat_format, mode))
    write_json(folder / "params", ollama_params(chat_format, mode, config.generate, context))
    files = [folder / "Modelfile", folder / "template", folder / "params"]
    if system and mode != "completion":
        write_text(folder / "system", system)
        files.append(folder / "system")
    return files


def _source_label(job: ExportJob, source: Path) -> str:
    """The checkpoint as the record names it: relative to the bot folder where it lies inside (no home paths shared)."""
    if job.checkpoint == "base":
        return "base"
    try:
        return source.resolve().relative_to(job.folder.root.resolve()).as_posix()
    except ValueError:
        return source.name


def _context_length(model_config: Any) -> int:
    return getattr(model_config, "max_position_embeddings", None) or getattr(model_config, "n_positions", 2048)


def _describe(name: str) -> str:
    return {"Modelfile": "Ollama Modelfile (`ollama create NAME -f Modelfile`)",
            "template": "Ollama chat template read by `ollama run hf.co/...`",
            "params": "Ollama parameters (stop markers, sampling) read by `ollama run hf.co/...`",
            "system": "Ollama system prompt",
            "model.safetensors": "the fine-tuned weights, LoRA merged",
            "config.json": "model architecture",
            "generation_config.json": "sampling defaults and end-of-turn stop tokens",
            "tokenizer.json": "tokenizer", "tokenizer_config.json": "tokenizer settings",
            "chat_template.jinja": "the chat template the bot was trained with",
            RECORD_NAME: "which checkpoint the GGUF holds (botsmith chat and serve run it when it is current)",
            }.get(name, "GGUF model for llama.cpp and Ollama" if name.endswith(".gguf") else "")


def export_gguf_lora(job: ExportJob, tmp: Path) -> ExportResult:
    from botsmith.export.gguf.lora import export_lora_adapter

    return export_lora_adapter(job, tmp)
