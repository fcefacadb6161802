"""When llama-cpp-python is installed, the GGUF is also run by llama.cpp itself.

llama.cpp is the program the file is for, so this is the most direct check there is:
its tokenizer must give the Hugging Face tokenizer's ids (vocabulary, merges,
pre-tokenizer name and add-bos flag all show here), and its predictions at every position
of the probe prompts must keep the model's within the same limits as transformers' reading
(verify.QUALITY), although llama.cpp also rounds activations (8 bits for quantized matmuls)
and keeps its KV cache in f16. Optional: without llama-cpp-python the check is skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.llama_cpp_runtime import load_llama


def llama_cpp_logits(path: Path, prompts_ids: list[list[int]], *, lora: Path | None = None,
                     every_position: bool = False) -> list[Any]:
    """llama.cpp's next-token logits after each prompt (float32 numpy), or at each of its positions."""
    import numpy as np

    llm = load_llama(path, lora_path=str(lora) if lora else None, n_ctx=512, logits_all=True, n_threads=2)
    logits = []
    for ids in prompts_ids:
        llm.reset()
        llm.eval(ids)
        rows = llm.scores[:len(ids)] if every_position else llm.scores[len(ids) - 1]
        logits.append(np.array(rows, dtype=np.float32))
    return logits


def llama_cpp_tokenize(path: Path, texts: list[str]) -> list[list[int]]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
    return [llm.tokenize(text.encode("utf-8"), add_bos=True, special=True) for text in texts]


def check_with_llama_cpp(result: Any, path: Path, model: Any, tokenizer: Any, prompts: tuple[str, ...],
                         quant: str, texts: list[str]) -> None:
    """Adds "llama.cpp tokens" and "llama.cpp predictions" checks to `result` (a Verification)."""
    import torch

    from botsmith.export.gguf.verify import check_predictions

    expected = [tokenizer(text)["input_ids"] for text in texts]
    actual = llama_cpp_tokenize(path, texts)
    differ = [text for text, a, b in zip(texts, expected, actual) if a != b]
    result.add("llama.cpp tokens", not differ,
               f"llama.cpp tokenizes {len(texts) - len(differ)}/{len(texts)} texts exactly like the original"
               + (f"; first difference on {differ[0][:40]!r}" if differ else ""))
    ids_list = [tokenizer(prompt)["input_ids"] for prompt in prompts]
    theirs = llama_cpp_logits(path, ids_list, every_position=True)
    with torch.no_grad():
        ours = [model(torch.tensor([ids])).logits[0].float() for ids in ids_list]
    check_predictions(result, "llama.cpp predictions", ours, theirs, quant, "llama.cpp")
