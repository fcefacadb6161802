"""Tokens per second for a 128-token reply: botsmith's engine against plain transformers `generate`.

Both continue the same chat prompt with greedy decoding and exactly 128 new tokens
(end-of-turn suppressed until then), in the same process, in interleaved rounds:

  - transformers: the model as `from_pretrained` gives it (fp32), `model.generate`
  - botsmith generic fp32: our KV-cache loop over transformers' modules (the path for non-Llama models)
  - botsmith fast fp32: the lean Llama pass (chat/fast_llama.py), same dtype, same greedy tokens
  - botsmith fast auto: the lean pass in the dtype botsmith picks (bf16 on CPUs with AMX)
  - botsmith fast int8: the same, with int8 weights ([generate] weights = "int8", quantized at load)
  - llama.cpp: botsmith's engine with [generate] backend = "llama.cpp", on a GGUF of the model written by
    botsmith's exporter into a temporary folder (--gguf-quant, default q8_0 like `botsmith export`);
    skipped, with the reason, where llama-cpp-python is missing or the export fails

The last lines say whether each engine row's reply is the same text as transformers' fp32 reply.

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


def hf_generate(model, prompt_ids, tokens: int) -> tuple[float, int]:
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
                    backend=backend, gguf=gguf)
    sampling = Sampling(temperature=0.0, repetition_penalty=1.0, max_new_tokens=tokens, min_new_tokens=tokens)
    stream = engine.generate(prompt_ids, sampling)
    text = stream.text()
    return stream.stats.seconds, stream.stats.completion_tokens, text


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

    from botsmith.models import load_base, pick_dtype

    fp32 = load_base(args.model, dtype=torch.float32, log=lambda line: None)
    auto_dtype = pick_dtype()
    auto = load_base(args.model, dtype=auto_dtype, log=lambda line: None)
    prompt_ids = fp32.tokenizer(fp32.chat_format.prompt(PROMPT), add_special_tokens=False)["input_ids"]
    auto_name = str(auto_dtype).replace("torch.", "")
    rows = {
        ("transformers generate", "float32"): lambda: hf_generate(fp32.model, prompt_ids, args.tokens),
        ("botsmith generic", "float32"): lambda: engine_generate(fp32, prompt_ids, args.tokens, fast=False),
        ("botsmith fast", "float32"): lambda: engine_generate(fp32, prompt_ids, args.tokens),
        ("botsmith fast", auto_name): lambda: engine_generate(auto, prompt_ids, args.tokens),
        ("botsmith fast int8", auto_name): lambda: engine_generate(auto, prompt_ids, args.tokens, weights="int8"),
    }
    gguf, skipped = exported_gguf(args.model, args.gguf_quant, scratch)
    if gguf:
        rows[("llama.cpp", args.gguf_quant)] = lambda: engine_generate(fp32, prompt_ids, args.tokens, gguf=gguf)
    # Rounds interleave the rows, so a busy neighbour slows every row alike; the median of each row is shown.
    timings: dict = {row: [] for row in rows}
    for _ in range(args.repeats):
        for row, run in rows.items():
            timings[row].append(run())
    print(f"model {args.model}, prompt {len(prompt_ids)} tokens, greedy, {args.tokens} new tokens, "
          f"median of {args.repeats} interleaved rounds, torch threads {torch.get_num_threads()}")
    print(f"{'backend':<24}{'dtype':<10}{'tokens':>7}{'seconds':>9}{'tokens/s':>10}{'speedup':>9}")
    baseline = None
    for (name, dtype), results in timings.items():
        seconds = statistics.median(result[0] for result in results)
        tokens = results[0][1]
        rate = tokens / seconds
        baseline = baseline or rate
        print(f"{name:<24}{dtype:<10}{tokens:>7}{seconds:>9.2f}{rate:>10.1f}{rate / baseline:>8.2f}x")
    reference = fp32.tokenizer.decode(timings[("transformers generate", "float32")][0][2], skip_special_tokens=True)
    print()
    for (name, dtype), results in list(timings.items())[1:]:
        print(f"{name} {dtype}: same reply as transformers fp32: {'yes' if results[0][2] == reference else 'NO'}")
    print(f"\nreply: {reference[:160]!r}")
    if skipped:
        print(f"llama.cpp row skipped: {skipped}")

if __name__ == "__main__":
    main()
