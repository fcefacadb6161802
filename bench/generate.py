"""Tokens per second for a 128-token reply: botsmith's engine against plain transformers `generate`.

Both continue the same chat prompt with greedy decoding and exactly 128 new tokens
(end-of-turn suppressed until then), in the same process:

  - transformers: the model as `from_pretrained` gives it (fp32), `model.generate`
  - botsmith fp32: our KV-cache loop, same dtype (shows the loop's own overhead)
  - botsmith auto: our loop in the dtype botsmith picks (bf16 on CPUs with AMX)

    flock /tmp/botsmith-cpu.lock .venv/bin/python bench/generate.py [--model smollm2-135m] [--tokens 128]
"""

from __future__ import annotations

import argparse
import time

PROMPT = [
    {"role": "system", "content": "You are a storyteller who answers in full, vivid sentences."},
    {"role": "user", "content": "Tell me about the old lighthouse keeper and the night of the great storm."},
]


def time_hf_generate(model, prompt_ids, tokens: int, repeats: int) -> tuple[float, int]:
    import torch

    ids = torch.tensor([prompt_ids])
    best, produced = float("inf"), 0
    for _ in range(repeats):
        started = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=tokens,
                                 min_new_tokens=tokens, pad_token_id=model.config.eos_token_id)
        best = min(best, time.perf_counter() - started)
        produced = out.shape[1] - ids.shape[1]
    return best, produced


def time_engine(model, tokenizer, chat_format, prompt_ids, tokens: int, repeats: int) -> tuple[float, int, str]:
    from botsmith.chat import Engine, Sampling

    engine = Engine(model, tokenizer, stop_strings=chat_format.stop)
    sampling = Sampling(temperature=0.0, repetition_penalty=1.0, max_new_tokens=tokens, min_new_tokens=tokens)
    best, produced, text = float("inf"), 0, ""
    for _ in range(repeats):
        stream = engine.generate(prompt_ids, sampling)
        text = stream.text()
        best = min(best, stream.stats.seconds)
        produced = stream.stats.completion_tokens
    return best, produced, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3, help="best of N runs per row")
    args = parser.parse_args()

    import torch

    from botsmith.models import load_base, pick_dtype

    fp32 = load_base(args.model, dtype=torch.float32)
    prompt_ids = fp32.tokenizer(fp32.chat_format.prompt(PROMPT), add_special_tokens=False)["input_ids"]
    auto_dtype = pick_dtype()
    auto = load_base(args.model, dtype=auto_dtype)
    rows = []
    seconds, produced = time_hf_generate(fp32.model, prompt_ids, args.tokens, args.repeats)
    rows.append(("transformers generate", "float32", produced, seconds))
    seconds, produced, _ = time_engine(fp32.model, fp32.tokenizer, fp32.chat_format, prompt_ids, args.tokens, args.repeats)
    rows.append(("botsmith engine", "float32", produced, seconds))
    seconds, produced, text = time_engine(auto.model, auto.tokenizer, auto.chat_format, prompt_ids, args.tokens,
                                          args.repeats)
    rows.append(("botsmith engine", str(auto_dtype).replace("torch.", ""), produced, seconds))

    baseline = rows[0][2] / rows[0][3]
    print(f"model {args.model}, prompt {len(prompt_ids)} tokens, greedy, {args.tokens} new tokens, "
          f"best of {args.repeats}, torch threads {torch.get_num_threads()}")
    print(f"{'backend':<24}{'dtype':<10}{'tokens':>7}{'seconds':>9}{'tokens/s':>10}{'speedup':>9}")
    for name, dtype, tokens, secs in rows:
        rate = tokens / secs
        print(f"{name:<24}{dtype:<10}{tokens:>7}{secs:>9.2f}{rate:>10.1f}{rate / baseline:>8.2f}x")
    print(f"\nbotsmith reply ({auto_dtype}): {text[:200]!r}")


if __name__ == "__main__":
    main()
