"""When llama-cpp-python is installed, the GGUF is also run by llama.cpp itself.

llama.cpp is the program the file is for, so this is the most direct check there is:
its tokenizer must give the Hugging Face tokenizer's ids (vocabulary, merges,
pre-tokenizer name and add-bos flag all show here), and its next-token logits must
stay within the same limits as transformers'. Optional: botsmith does not need it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.llama_cpp_runtime import load_llama


def llama_cpp_logits(path: Path, prompts_ids: list[list[int]], *, lora: Path | None = None) -> list[Any]:
    """llama.cpp's next-token logits after each prompt (float32 numpy)."""
    import numpy as np

    llm = load_llama(path, lora_path=str(lora) if lora else None, n_ctx=512, logits_all=True, n_threads=2)
    logits = []
    for ids in prompts_ids:
        llm.reset()
        llm.eval(ids)
        logits.append(np.array(llm.scores[len(ids) - 1], dtype=np.float32))
    return logits


def llama_cpp_tokenize(path: Path, texts: list[str]) -> list[list[int]]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
    return [llm.tokenize(text.encode("utf-8"), add_bos=True, special=True) for text in texts]


def check_with_llama_cpp(result: Any, path: Path, model: Any, tokenizer: Any, prompts: tuple[str, ...],
                         limit: float, texts: list[str]) -> None:
    """Adds "llama.cpp tokens" and "llama.cpp logits" checks to `result` (a Verification)."""
    import torch

    expected = [tokenizer(text)["input_ids"] for text in texts]
    actual = llama_cpp_tokenize(path, texts)
    differ = [text for text, a, b in zip(texts, expected, actual) if a != b]
    result.add("llama.cpp tokens", not differ,
               f"llama.cpp tokenizes {len(texts) - len(differ)}/{len(texts)} texts exactly like the original"
               + (f"; first difference on {differ[0][:40]!r}" if differ else ""))
    ids_list = [tokenizer(prompt)["input_ids"] for prompt in prompts]
    theirs = llama_cpp_logits(path, ids_list)
    with torch.no_grad():
        ours = [model(torch.tensor([ids])).logits[0, -1].float().numpy() for ids in ids_list]
    worst = max(float(abs(a - b).max()) for a, b in zip(ours, theirs))
    scale = max(float(abs(a).max()) for a in ours) or 1.0
    agree = sum(int(a.argmax() == b.argmax()) for a, b in zip(ours, theirs))
    result.add("llama.cpp logits", worst / scale <= limit,
               f"llama.cpp's next-token logits within {worst:.4g} ({worst / scale:.2%} of the largest logit, "
               f"limit {limit * 100:g}%); same top token on {agree}/{len(ids_list)} prompts")
