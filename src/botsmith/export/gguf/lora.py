"""The LoRA adapter alone as a llama.cpp adapter GGUF (llama.cpp's convert_lora_to_gguf.py format).

    general.type = "adapter", adapter.type = "lora", adapter.lora.alpha = alpha
    <base tensor>.weight.lora_a  numpy [r, n_in]   (ggml ne = [n_in, r])
    <base tensor>.weight.lora_b  numpy [n_out, r]  (ggml ne = [r, n_out])

llama.cpp scales B·A by alpha / r, as PEFT does. Rows of B follow the base weight's row
order in the GGUF (the Llama Q/K permutation); A is untouched. Verification applies the
adapter read back from the file to the base weights and compares with the merged model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from botsmith.chat_format import template_setting
from botsmith.errors import BotsmithError
from botsmith.export.job import ExportJob, ExportResult, bot_slug
from botsmith.export.gguf.architectures import GgufArchitecture, architecture_for
from botsmith.export.gguf.tensors import gguf_tensor_names, layout_tensors
from botsmith.export.gguf.writer import save_writer

PEFT_PREFIX = "base_model.model."


def adapter_alpha(adapter_config: dict) -> float:
    """The alpha llama.cpp needs so that alpha / r equals PEFT's scale."""
    if adapter_config.get("alpha_pattern") or adapter_config.get("modules_to_save"):
        raise BotsmithError("this adapter has per-module alphas or extra trained modules, which a GGUF adapter "
                            "cannot hold", hint="export the merged model instead: --format gguf")
    alpha, rank = float(adapter_config["lora_alpha"]), int(adapter_config["r"])
    if adapter_config.get("rank_pattern"):
        raise BotsmithError("this adapter has per-module ranks, which a GGUF adapter cannot scale correctly",
                            hint="export the merged model instead: --format gguf")
    return alpha * math.sqrt(rank) if adapter_config.get("use_rslora") else alpha  # rsLoRA scales by alpha/sqrt(r)


def adapter_pairs(checkpoint: Path, arch: GgufArchitecture, config: Any) -> dict[str, tuple[Any, Any]]:
    """llama.cpp base tensor name -> (A, B) in llama.cpp's layout, float32 numpy."""
    import torch
    from safetensors.torch import load_file

    weights = load_file(str(checkpoint / "adapter_model.safetensors"))
    names = gguf_tensor_names(arch, getattr(config, "num_hidden_layers", None) or config.n_layer)
    pairs = {}
    for key, lora_a in weights.items():
        if ".lora_A." not in key:
            continue
        module = key.removeprefix(PEFT_PREFIX).split(".lora_A.")[0]
        lora_b = weights[key.replace(".lora_A.", ".lora_B.")]
        hf_weight = f"{module}.weight"
        gguf_name = names.get_name(hf_weight, try_suffixes=(".weight",))
        if gguf_name is None:
            raise BotsmithError(f"the adapter targets '{module}', which has no llama.cpp tensor",
                                hint="export the merged model instead: --format gguf")
        lora_b = arch.reorder_rows(hf_weight, lora_b, config)
        pairs[gguf_name] = tuple(t.detach().to(torch.float32).contiguous().numpy() for t in (lora_a, lora_b))
    if not pairs:
        raise BotsmithError(f"{checkpoint}: the adapter has no LoRA weights")
    return pairs


def write_adapter(path: Path, pairs: dict[str, tuple[Any, Any]], *, arch: GgufArchitecture, alpha: float,
                  name: str) -> None:
    import gguf

    writer = gguf.GGUFWriter(None, arch.gguf_name)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(name)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for base_name, (lora_a, lora_b) in pairs.items():
        writer.add_tensor(f"{base_name}.lora_a", lora_a)
        writer.add_tensor(f"{base_name}.lora_b", lora_b)
    save_writer(writer, path)


def export_lora_adapter(job: ExportJob, tmp: Path) -> ExportResult:
    import torch

    from botsmith.models import load_base, load_checkpoint, read_checkpoint_info
    from botsmith.runs import resolve_checkpoint

    checkpoint = resolve_checkpoint(job.folder.runs_dir, job.checkpoint)
    info = read_checkpoint_info(checkpoint)
    if info.get("kind") != "lora":
        raise BotsmithError(f"{checkpoint} is a full fine-tune, not a LoRA adapter",
                            hint="export it with --format gguf, or train with method = \"lora\"")
    adapter_config = json.loads((checkpoint / "adapter_config.json").read_text())
    base = load_base(info["base_model"], dtype=torch.float32, log=job.log,
                     chat_template=template_setting(job.config.bot.chat_template, job.folder.root))
    arch = architecture_for(base.model.config)
    if base.model.get_input_embeddings().weight.shape[0] != len(base.tokenizer):
        raise BotsmithError("training added tokens to the vocabulary, which a GGUF adapter cannot carry",
                            hint="export the merged model instead: --format gguf")
    alpha, pairs = adapter_alpha(adapter_config), adapter_pairs(checkpoint, arch, base.model.config)
    path = tmp / f"{bot_slug(job.config)}-lora.gguf"
    write_adapter(path, pairs, arch=arch, alpha=alpha, name=f"{job.config.bot.name} (LoRA)")
    result = ExportResult("gguf-lora", tmp, files=[path])
    if job.verify:
        merged = load_checkpoint(checkpoint, dtype=torch.float32, merge=True, log=job.log).model
        result.checks = verify_adapter(path, base.model, merged, arch, alpha)
        result.checks += verify_adapter_in_llama_cpp(path, base, merged, tmp)
        job.log("\n".join(["Verification:", *result.checks]))
    from botsmith.export.formats import bot_chat_format

    result.files.append(_write_modelfile(tmp, path.name, job, bot_chat_format(job, base.chat_format, info)))
    return result


def verify_adapter(path: Path, base: Any, merged: Any, arch: GgufArchitecture, alpha: float) -> list[str]:
    """Read the adapter back and check base + alpha/r * B·A equals the merged model, tensor by tensor."""
    import numpy as np
    from gguf import GGUFReader

    reader = GGUFReader(path)
    kind = reader.get_field("general.type").contents()
    stored_alpha = reader.get_field("adapter.lora.alpha").contents()
    if kind != "adapter" or abs(stored_alpha - alpha) > 1e-6:
        raise BotsmithError(f"verification failed for {path.name}: general.type {kind!r}, alpha {stored_alpha}")
    tensors = {t.name: np.asarray(t.data, dtype=np.float32) for t in reader.tensors}
    base_weights, merged_weights = dict(layout_tensors(base, arch)), dict(layout_tensors(merged, arch))
    worst = 0.0
    for name in sorted({n.rsplit(".lora_", 1)[0] for n in tensors}):
        lora_a, lora_b = tensors[f"{name}.lora_a"], tensors[f"{name}.lora_b"]
        if name not in base_weights or lora_b.shape[0] != base_weights[name].shape[0] \
                or lora_a.shape[1] != base_weights[name].shape[1]:
            raise BotsmithError(f"verification failed for {path.name}: {name} does not fit the base model's tensor")
        applied = base_weights[name] + (alpha / lora_a.shape[0]) * (lora_b @ lora_a)
        worst = max(worst, float(np.abs(applied - merged_weights[name]).max()))
    if worst > 1e-4:
        raise BotsmithError(f"verification failed for {path.name}: base + adapter differs from the merged model "
                            f"by {worst:.3g}")
    pairs = len(tensors) // 2
    return [f"  ok   adapter: {pairs} LoRA pairs, alpha {alpha:g}, read back with GGUFReader",
            f"  ok   base + adapter equals the merged model within {worst:.2g}"]


def verify_adapter_in_llama_cpp(adapter: Path, base: Any, merged: Any, scratch: Path) -> list[str]:
    """With llama-cpp-python installed: llama.cpp applies the adapter to an F32 base GGUF, and its
    logits must match the merged model's."""
    import torch

    from botsmith.export.gguf.llama_cpp_check import llama_cpp_logits
    from botsmith.export.gguf.writer import write_gguf
    from botsmith.llama_cpp_runtime import LLAMA_CPP_MISSING, llama_cpp_available

    if not llama_cpp_available():
        return [f"  skip llama.cpp: {LLAMA_CPP_MISSING}: the adapter was not run by llama.cpp itself"]
    base_path = scratch / ".base-f32.gguf"
    write_gguf(base.model, base.tokenizer, base_path, quant="f32", chat_template=base.chat_format.jinja)
    try:
        ids = [base.tokenizer(text)["input_ids"] for text in ("Once upon a time", "The old man said to the sea,")]
        theirs = llama_cpp_logits(base_path, ids, lora=adapter)
    finally:
        base_path.unlink()
    with torch.no_grad():
        ours = [merged(torch.tensor([row])).logits[0, -1].numpy() for row in ids]
    worst = max(float(abs(a - b).max()) for a, b in zip(ours, theirs))
    scale = max(float(abs(a).max()) for a in ours) or 1.0
    if worst / scale > 0.01:
        raise BotsmithError(f"verification failed for {adapter.name}: llama.cpp with the adapter differs from the "
                            f"merged model by {worst:.3g} ({worst / scale:.1%} of the largest logit)")
    return [f"  ok   llama.cpp: base + adapter gives the merged model's logits within {worst:.2g}"]


def _write_modelfile(folder: Path, adapter_name: str, job: ExportJob, chat_format: Any) -> Path:
    from botsmith.atomic import write_text
    from botsmith.export.modelfile import modelfile_text

    text = modelfile_text("base.gguf", chat_format=chat_format, mode=job.config.bot.mode,
                          generate=job.config.generate, context_length=2048)
    note = ("# base.gguf: the base model as GGUF, e.g. from\n"
            "#   botsmith export BOT --format gguf --checkpoint base --out <folder>\n")
    text = text.replace("FROM ./base.gguf", f"{note}FROM ./base.gguf\nADAPTER ./{adapter_name}")
    write_text(folder / "Modelfile", text)
    return folder / "Modelfile"
