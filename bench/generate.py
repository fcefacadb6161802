"""Tokens per second for a 128-token reply: botsmith's engine against plain transformers `generate`.

All continue the same chat prompt with greedy decoding and exactly 128 new tokens
(end-of-turn suppressed until then), in the same process, in interleaved rounds; the time
of a row is the whole reply, prompt included:

  - transformers generate, float32: the model as `from_pretrained` gives it, `model.generate`
  - transformers generate, bfloat16: the same in the dtype botsmith picks (bf16 on CPUs with AMX)
  - botsmith generic fp32: our KV-cache loop over transformers' modules ([generate] fast_path = false)
  - botsmith fast fp32: the lean Llama pass (chat/fast_llama.py), same dtype, same greedy tokens
  - botsmith fast auto: the lean pass in the dtype botsmith picks
  - botsmith fast int8: the same, with int8 weights ([generate] weights = "int8", quantized at load)
  - llama.cpp via botsmith: botsmith's engine with [generate] backend = "llama.cpp" (llama.cpp computes
    the logits, botsmith samples), on a GGUF of the model written by botsmith's exporter into a
    temporary folder (--gguf-quant, default q8_0 like `botsmith export`)
  - llama.cpp native: llama-cpp-python's own generate loop and sampler (top_k=1) on the same GGUF
The llama.cpp rows are skipped, with the reason, where llama-cpp-python is missing or the export fails.
Speed-ups are against both transformers rows; the last lines say whether each row's reply is the same
text as transformers' fp32 reply.

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/generate.py [--model smollm2-135m] [--tokens 128]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

PROMPT = [
    {"role": "system", "content": "You are a storyteller who answers in full, vivid sentences."},
    {"role": "user", "content": "Tell me about the old lighthouse keeper and the night of the great storm."},
]


def hf_generate(model, prompt_ids, tokens: int) -> tuple[float, int, list[int]]:
    import torch

    ids = torch.tensor([prompt_ids])
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=tokens,
                             min_new_tokens=tokens, pad_token_id=model.config.eos_token_id)
    seconds = time.perf_counter() - started
    return seconds, out.shape[1] - ids.shape[1], out[0, ids.shape[1]:].tolist()


def engine_generate(loaded, prompt_ids, tokens: int, fast: bool = True, weights: str = "full",
                    gguf: Path | None = None) -> tuple[float, int, str]:
    from botsmith.chat import Engine, Sampling

    backend = "llama.cpp" if gguf else "torch"
    engine = Engine(loaded.model, loaded.tokenizer, stop_strings=loaded.chat_format.stop, fast=fast, weights=weights,
                    backend=backend, gguf=gguf, log=lambda line: None)
    sampling = Sampling(temperature=0.0, repetition_penalty=1.0, max_new_tokens=tokens, min_new_tokens=tokens)
    stream = engine.generate(prompt_ids, sampling)
    text = stream.text()
    return stream.stats.seconds, stream.stats.completion_tokens, text


def llama_cpp_native(llm, prompt_ids, tokens: int, stop_ids: list[int]) -> tuple[float, int, list[int]]:
    """llama-cpp-python's own loop: its sampler picks the top token; stop tokens masked so the reply has `tokens`."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    def no_stop(_input_ids, scores):
        scores[stop_ids] = -np.inf
        return scores

    out = []
    started = time.perf_counter()
    for token in llm.generate(prompt_ids, top_k=1, temp=0.0, repeat_penalty=1.0, reset=True,
                              logits_processor=LogitsProcessorList([no_stop])):
        out.append(token)
        if len(out) == tokens:
            break
    return time.perf_counter() - started, len(out), out


def exported_gguf(model: str, quant: str, scratch: Path) -> tuple[Path | None, str]:
    """(GGUF of the base model written by botsmith's exporter, "") or (None, why the llama.cpp row is skipped)."""
    from botsmith.bot_folder import new_bot
    from botsmith.errors import BotsmithError
    from botsmith.export import export_model
    from botsmith.llama_cpp_runtime import llama_cpp_available

    if not llama_cpp_available():
        return None, "llama-cpp-python is not installed (pip install 'botsmith[llamacpp]')"
    try:
        bot = new_bot(scratch / "bot", mode="chat", base_model=model).root
        result = export_model(bot, format="gguf", quant=quant, checkpoint="base", verify=False, log=lambda line: None)
    except BotsmithError as error:
        return None, f"the GGUF export failed: {error}"
    return result.files[0], ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (the median is shown)")
    parser.add_argument("--gguf-quant", default="q8_0", help="GGUF type for the llama.cpp row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as scratch:
        run_bench(args, Path(scratch))


def run_bench(args: argparse.Namespace, scratch: Path) -> None:
    import torch

    from botsmith.chat.generate import stop_token_ids
    from botsmith.models import load_base, pick_dtype

    fp32 = load_base(args.model, dtype=torch.float32, log=lambda line: None)
    auto_dtype = pick_dtype()
    auto = load_base(args.model, dtype=auto_dtype, log=lambda line: None)
    prompt_ids = fp32.tokenizer(fp32.chat_format.prompt(PROMPT), add_special_tokens=False)["input_ids"]
    auto_name = str(auto_dtype).replace("torch.", "")
    rows = {
        ("transformers generate", "float32"): lambda: hf_generate(fp32.model, prompt_ids, args.tokens),
        ("transformers generate", auto_name): lambda: hf_generate(auto.model, prompt_ids, args.tokens),
        ("botsmith generic", "float32"): lambda: engine_generate(fp32, prompt_ids, args.tokens, fast=False),
        ("botsmith fast", "float32"): lambda: engine_generate(fp32, prompt_ids, args.tokens),
        ("botsmith fast", auto_name): lambda: engine_generate(auto, prompt_ids, args.tokens),
        ("botsmith fast int8", auto_name): lambda: engine_generate(auto, prompt_ids, args.tokens, weights="int8"),
    }
    gguf, skipped = exported_gguf(args.model, args.gguf_quant, scratch)
    if gguf:
        from botsmith.llama_cpp_runtime import load_llama

        llm = load_llama(gguf, n_ctx=len(prompt_ids) + args.tokens + 8, n_threads=torch.get_num_threads())
        stop_ids = sorted(stop_token_ids(fp32.model, fp32.tokenizer, fp32.chat_format.stop))
        rows[("llama.cpp via botsmith", args.gguf_quant)] = lambda: engine_generate(fp32, prompt_ids, args.tokens, gguf=gguf)
        rows[("llama.cpp native", args.gguf_quant)] = lambda: llama_cpp_native(llm, prompt_ids, args.tokens, stop_ids)
    # Rounds interleave the rows, so a busy neighbour slows every row alike; the median of each row is shown.
    timings: dict = {row: [] for row in rows}
    for _ in range(args.repeats):
        for row, run in rows.items():
            timings[row].append(run())
    print_table(args, timings, fp32.tokenizer, len(prompt_ids), auto_name)
    if skipped:
        print(f"llama.cpp rows skipped: {skipped}")


def print_table(args: argparse.Namespace, timings: dict, tokenizer, prompt_tokens: int, auto_name: str) -> None:
    print(f"model {args.model}, prompt {prompt_tokens} tokens, greedy, {args.tokens} new tokens, "
          f"median of {args.repeats} interleaved rounds, torch threads {torch_threads()}")
    rates = {row: results[0][1] / statistics.median(result[0] for result in results) for row, results in timings.items()}
    baselines = [("transformers generate", "float32"), ("transformers generate", auto_name)]
    baselines = list(dict.fromkeys(baselines))  # one column where the picked dtype is float32
    print(f"{'backend':<24}{'dtype':<10}{'tokens':>7}{'seconds':>9}{'tokens/s':>10}"
          + "".join(f"{'vs ' + dtype + ' generate':>24}" for _, dtype in baselines))
    for (name, dtype), results in timings.items():
        seconds = statistics.median(result[0] for result in results)
        print(f"{name:<24}{dtype:<10}{results[0][1]:>7}{seconds:>9.2f}{rates[(name, dtype)]:>10.1f}"
              + "".join(f"{rates[(name, dtype)] / rates[base]:>23.2f}x" for base in baselines))
    reference = tokenizer.decode(timings[baselines[0]][0][2], skip_special_tokens=True)
    print()
    for (name, dtype), results in list(timings.items())[1:]:
        reply = results[0][2]
        text = reply if isinstance(reply, str) else tokenizer.decode(reply, skip_special_tokens=True)
        print(f"{name} {dtype}: same reply as transformers fp32: {'yes' if text == reference else 'NO'}")
    print(f"\nreply: {reference[:160]!r}")


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
