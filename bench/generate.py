"""Tokens per second for a 128-token reply, and time to first token for a 200-token prompt: botsmith's
engine against plain transformers `generate` and native llama.cpp.

All continue the same chat prompt with greedy decoding and exactly 128 new tokens
(end-of-turn suppressed until then), in the same process, in interleaved rounds; the time
of a row is the whole reply, prompt included:

  - transformers generate, float32: the model as `from_pretrained` gives it, `model.generate`
  - transformers generate, bfloat16: the same in the dtype botsmith picks (bf16 on CPUs with AMX)
  - botsmith generic fp32: our KV-cache loop over transformers' modules ([generate] fast_path = false)
  - botsmith fast fp32: the lean Llama pass (chat/fast_llama.py), same dtype, same greedy tokens
  - botsmith fast auto: the lean pass in the dtype botsmith picks ([generate] backend = "torch")
  - botsmith fast int8: the same, with int8 weights ([generate] weights = "int8", quantized at load)
  - botsmith default: what `botsmith chat` and `serve` run with the default settings, on a bot of the
    model with a verified GGUF export (--gguf-quant, default q8_0 like `botsmith export`) in a temporary
    folder: `[generate] backend = "auto"` picks llama.cpp on that export where llama-cpp-python is
    installed (llama.cpp computes the logits, botsmith samples), else the lean pass
  - llama.cpp native: llama-cpp-python's own generate loop and sampler (top_k=1) on the same GGUF
The native row is skipped, with the reason, where llama-cpp-python is missing or the export fails.
Speed-ups are against both transformers rows; the lines below say whether each row's reply is the same
text as transformers' fp32 reply, and the default row's whether it is native llama.cpp's (same weights).

Time to first token: every row again, on a chat prompt of --ttft-tokens (200) tokens, timed from the call
to the first new token (prompt processing in one batched pass, then one token), then on that prompt's
next turn (the prompt, a short reply and a question: ~30 tokens more), as a chat session or a client of
`serve` sends it; median of the rounds. Rows that keep their cache between calls (the default row on
llama.cpp, and llama.cpp's own loop) process only the new tokens of the next turn; the others all of it.

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
NEXT_TURN = [{"role": "assistant", "content": "The storm broke the lamp's glass, and he lit it again by hand."},
             {"role": "user", "content": "And what did he see at dawn?"}]
KEEPER_DAYS = ("Each evening the keeper climbed the ninety steps, trimmed the wick, wound the clockwork that "
               "turned the great lens, and wrote the wind and the sea in his log before he slept.")


def hf_generate(model, prompt_ids, tokens: int) -> tuple[float, int, list[int]]:
    import torch

    ids = torch.tensor([prompt_ids])
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=tokens,
                             min_new_tokens=tokens, pad_token_id=model.config.eos_token_id)
    seconds = time.perf_counter() - started
    return seconds, out.shape[1] - ids.shape[1], out[0, ids.shape[1]:].tolist()


def engine_generate(engine, prompt_ids, tokens: int) -> tuple[float, int, str]:
    from botsmith.chat import Sampling

    sampling = Sampling(temperature=0.0, repetition_penalty=1.0, max_new_tokens=tokens, min_new_tokens=tokens)
    stream = engine.generate(prompt_ids, sampling)
    text = stream.text()
    return stream.stats.seconds, stream.stats.completion_tokens, text


def torch_engine(loaded, fast: bool = True, weights: str = "full"):
    """A fresh engine per reply: engines sharing a model re-fuse its weights, which must not happen while timed."""
    from botsmith.chat import Engine

    return Engine(loaded.model, loaded.tokenizer, stop_strings=loaded.chat_format.stop, fast=fast, weights=weights,
                  backend="torch", log=lambda line: None)


def ttft_prompts(loaded, tokens: int) -> tuple[list[int], list[int]]:
    """(a chat prompt of at least `tokens` tokens, the next turn's prompt after it: the prompt, a short reply and a
    short question). Its system prompt is not the storyteller's, so that it shares only a few tokens with PROMPT."""
    render = lambda messages: loaded.tokenizer(loaded.chat_format.prompt(messages),  # noqa: E731
                                               add_special_tokens=False)["input_ids"]
    words = KEEPER_DAYS.split() * (tokens // 10 + 1)
    for count in range(len(words)):
        conversation = [{"role": "system", "content": "You keep the lighthouse's log."},
                        {"role": "user", "content": " ".join(words[:count]) + " " + PROMPT[1]["content"]}]
        ids = render(conversation)
        if len(ids) >= tokens:
            return ids, render([*conversation, *NEXT_TURN])
    raise SystemExit(f"--ttft-tokens {tokens}: the model's tokenizer packs the filler text into too few tokens")


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


def bot_with_export(model: str, quant: str, scratch: Path) -> tuple[Path, Path | None, str]:
    """(a new chat bot of `model` in `scratch`, its verified GGUF export of the base model or None, why there is none)."""
    from botsmith.bot_folder import new_bot
    from botsmith.errors import BotsmithError
    from botsmith.export import export_model
    from botsmith.llama_cpp_runtime import LLAMA_CPP_MISSING, llama_cpp_available

    bot = new_bot(scratch / "bot", mode="chat", base_model=model).root
    if not llama_cpp_available():
        return bot, None, LLAMA_CPP_MISSING
    try:
        return bot, export_model(bot, format="gguf", quant=quant, checkpoint="base", log=lambda line: None).files[0], ""
    except BotsmithError as error:
        return bot, None, f"the GGUF export failed: {error}"


def default_chatbot(model: str, quant: str, scratch: Path):
    """(what `botsmith chat` loads with default settings for a bot of `model` with a verified GGUF export, the GGUF or
    None, why there is none, the line saying which backend auto chose)."""
    from botsmith.chat import Chatbot

    bot, gguf, skipped = bot_with_export(model, quant, scratch)
    lines: list[str] = []
    chatbot = Chatbot.from_bot(bot, log=lines.append)
    return chatbot, gguf, skipped, next((line for line in lines if line.startswith("backend auto")), "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (the median is shown)")
    parser.add_argument("--gguf-quant", default="q8_0", help="GGUF type of the bot's export (the llama.cpp rows)")
    parser.add_argument("--ttft-tokens", type=int, default=200, help="prompt length for the time to first token")
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
    long_ids, next_ids = ttft_prompts(fp32, args.ttft_tokens)
    auto_name = str(auto_dtype).replace("torch.", "")
    rows = {
        ("transformers generate", "float32"): lambda ids, n: hf_generate(fp32.model, ids, n),
        ("transformers generate", auto_name): lambda ids, n: hf_generate(auto.model, ids, n),
        ("botsmith generic", "float32"): lambda ids, n: engine_generate(torch_engine(fp32, fast=False), ids, n),
        ("botsmith fast", "float32"): lambda ids, n: engine_generate(torch_engine(fp32), ids, n),
        ("botsmith fast", auto_name): lambda ids, n: engine_generate(torch_engine(auto), ids, n),
        ("botsmith fast int8", auto_name): lambda ids, n: engine_generate(torch_engine(auto, weights="int8"), ids, n),
    }
    chatbot, gguf, skipped, choice = default_chatbot(args.model, args.gguf_quant, scratch)
    default = ("botsmith default", args.gguf_quant if chatbot.engine.backend == "llama.cpp" else auto_name)
    rows[default] = lambda ids, n: engine_generate(chatbot.engine, ids, n)
    if gguf:
        from botsmith.llama_cpp_runtime import load_llama

        context = max(len(prompt_ids), len(next_ids)) + args.tokens + 8
        llm = load_llama(gguf, n_ctx=context, n_threads=torch.get_num_threads())
        stop_ids = sorted(stop_token_ids(fp32.model, fp32.tokenizer, fp32.chat_format.stop))
        rows[("llama.cpp native", args.gguf_quant)] = lambda ids, n: llama_cpp_native(llm, ids, n, stop_ids)
    # Rounds interleave the rows, so a busy neighbour slows every row alike; the median of each row is shown.
    timings: dict = {row: [] for row in rows}
    first_token: dict = {row: [] for row in rows}
    for _ in range(args.repeats):
        for row, run in rows.items():
            timings[row].append(run(prompt_ids, args.tokens))
            first_token[row].append((run(long_ids, 1)[0], run(next_ids, 1)[0]))  # a prompt, then its next turn
    print_table(args, timings, first_token, fp32.tokenizer, (len(prompt_ids), len(long_ids), len(next_ids)), auto_name)
    print(f"\nbotsmith default: {choice or 'backend auto: torch'}")
    if skipped:
        print(f"llama.cpp native row skipped: {skipped}")


def print_table(args: argparse.Namespace, timings: dict, first_token: dict, tokenizer,
                prompt_tokens: tuple[int, int, int], auto_name: str) -> None:
    print(f"model {args.model}, prompt {prompt_tokens[0]} tokens, greedy, {args.tokens} new tokens, "
          f"median of {args.repeats} interleaved rounds, torch threads {torch_threads()}; first token: "
          f"after a {prompt_tokens[1]}-token prompt, then after its next turn ({prompt_tokens[2]} tokens in all)")
    rates = {row: results[0][1] / statistics.median(result[0] for result in results) for row, results in timings.items()}
    baselines = [("transformers generate", "float32"), ("transformers generate", auto_name)]
    baselines = list(dict.fromkeys(baselines))  # one column where the picked dtype is float32
    print(f"{'backend':<24}{'dtype':<10}{'tokens':>7}{'seconds':>9}{'tokens/s':>10}"
          + "".join(f"{'vs ' + dtype + ' generate':>24}" for _, dtype in baselines) + f"{'first token s':>15}"
          + f"{'next turn s':>13}")
    for (name, dtype), results in timings.items():
        seconds = statistics.median(result[0] for result in results)
        print(f"{name:<24}{dtype:<10}{results[0][1]:>7}{seconds:>9.2f}{rates[(name, dtype)]:>10.1f}"
              + "".join(f"{rates[(name, dtype)] / rates[base]:>23.2f}x" for base in baselines)
              + "".join(f"{statistics.median(times[which] for times in first_token[(name, dtype)]):>{width}.3f}"
                        for which, width in ((0, 15), (1, 13))))
    texts = {row: reply if isinstance(reply, str) else tokenizer.decode(reply, skip_special_tokens=True)
             for row, ((_, _, reply), *_) in timings.items()}
    reference = texts[baselines[0]]
    print()
    for (name, dtype), text in list(texts.items())[1:]:
        print(f"{name} {dtype}: same reply as transformers fp32: {'yes' if text == reference else 'NO'}")
    native = next((text for (name, _), text in texts.items() if name == "llama.cpp native"), None)
    default = next(text for (name, _), text in texts.items() if name == "botsmith default")
    if native is not None:
        print(f"botsmith default: same reply as llama.cpp native (same GGUF): {'yes' if default == native else 'NO'}")
    print(f"\nreply: {reference[:160]!r}")


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
