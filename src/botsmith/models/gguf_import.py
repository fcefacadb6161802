"""Turn a GGUF file into a plain Hugging Face model folder, once.

transformers can read a GGUF, but dequantizing takes ~20 s and the model it returns
is flagged as quantized, so it refuses to train or save. We load it once, copy the
weights into a model built from the same config with the flag removed, and save
safetensors + tokenizer; later loads take a second or two.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from botsmith.atomic import atomic_dir
from botsmith.errors import BotsmithError
from botsmith.models.cache import MODEL_INFO


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def import_gguf(gguf_path: Path, target: Path, info: dict) -> Path:
    """Convert `gguf_path` into the HF folder `target` (written atomically)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    folder, name = str(gguf_path.parent), gguf_path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    except Exception as error:  # a damaged GGUF fails deep inside the reader, with any exception type
        raise BotsmithError(f"{gguf_path}: cannot read this GGUF ({str(error).splitlines()[0]})") from None
    model = _plain_copy(quantized)
    with atomic_dir(target) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        record = {**info, "gguf_sha256": info.get("gguf_sha256") or sha256_file(gguf_path),
                  "converted_in_s": round(time.perf_counter() - started, 1)}
        (tmp / MODEL_INFO).write_text(json.dumps(record, indent=2) + "\n")
    return target


def _plain_copy(quantized):
    """The same weights in a model that carries no quantization flag."""
    from transformers import AutoModelForCausalLM

    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = "float32"
    model = AutoModelForCausalLM.from_config(config)
    missing, unexpected = model.load_state_dict(quantized.state_dict(), strict=False)
    missing = [key for key in missing if "lm_head" not in key or not config.tie_word_embeddings]
    if missing or unexpected:
        raise BotsmithError(f"GGUF import: weights did not match the architecture (missing {missing[:3]}, unexpected {unexpected[:3]})")
    if config.tie_word_embeddings:
        model.tie_weights()
    return model
