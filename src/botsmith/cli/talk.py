"""`botsmith chat`, `botsmith complete` and `botsmith serve`: talking to a bot."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

CHECKPOINT_HELP = ("best | final | last | base | RUN-ID (its best) | PATH, e.g. runs/RUN-ID/final (default: best, "
                   "or the base model before any training).")


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _load_bot(bot: Path, checkpoint: Optional[str], gguf: Optional[Path] = None, **generate: Any):
    """The bot with [generate] overridden by the flags that were given."""
    from transformers.utils import logging as hf_logging

    from botsmith.bot_folder import open_bot
    from botsmith.chat import Chatbot
    from botsmith.errors import BotsmithError

    hf_logging.disable_progress_bar()  # weight-loading bars would bury the conversation
    config = open_bot(bot).config().with_overrides("generate", **generate)
    if gguf is not None and config.generate.backend == "torch":
        raise BotsmithError("--gguf is for the llama.cpp backend", hint="use --backend llama.cpp (or auto)")
    return Chatbot.from_bot(bot, checkpoint, generate=config.generate, gguf=gguf, log=_err)


def _sampling_options():
    """The sampling flags every command shares, as typer parameters with their defaults (None: from config)."""
    return dict(
        checkpoint=typer.Option(None, "--checkpoint", "-c", help=CHECKPOINT_HELP),
        temperature=typer.Option(None, "--temperature", "-t", help="Sampling temperature (0: greedy)."),
        top_p=typer.Option(None, "--top-p", help="Nucleus sampling mass."),
        top_k=typer.Option(None, "--top-k", help="Sample among the k likeliest tokens (0: off)."),
        min_p=typer.Option(None, "--min-p", help="Keep only tokens at least this share as likely as the likeliest one (0: off)."),
        epsilon_cutoff=typer.Option(None, "--epsilon-cutoff", help="Drop tokens less likely than this (0: off)."),
        repetition_penalty=typer.Option(None, "--repetition-penalty", help="Penalty for repeated tokens (1: off)."),
        max_new_tokens=typer.Option(None, "--max-new-tokens", "-m", help="Longest reply in tokens."),
        seed=typer.Option(None, "--seed", help="Seed for reproducible samples."),
        weights=typer.Option(None, "--weights", help="full | int8: int8 weights (Llama models on CPU) read half the bytes "
                                                     "of bf16, for a tiny accuracy loss (default: [generate] weights)."),
        fast_path=typer.Option(None, "--fast-path/--no-fast-path", help="Lean decode pass for Llama models on the CPU "
                               "(default: [generate] fast_path); off: transformers' own modules."),
        backend=typer.Option(None, "--backend", help="auto | torch | llama.cpp: llama.cpp runs the bot's GGUF export "
                             "through llama-cpp-python; auto does where it is installed and the export holds this "
                             "checkpoint, else torch (default: [generate] backend)."),
        gguf=typer.Option(None, "--gguf", help="Run this GGUF file in llama.cpp instead of the bot's export."),
    )


OPTS = _sampling_options()


def register(app: typer.Typer) -> None:
    _register_chat(app)
    _register_complete(app)
    _register_serve(app)


def _register_chat(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        bot: Path = typer.Argument(Path("."), help="The bot's folder."),
        prompt: Optional[str] = typer.Option(None, "--prompt", "-p", help="Print one reply to this message and exit ('-': read stdin)."),
        as_json: bool = typer.Option(False, "--json", help="With --prompt: print the reply and its statistics as JSON."),
        system: Optional[str] = typer.Option(None, "--system", help="System prompt for this session (default: [bot] system_prompt)."),
        checkpoint: Optional[str] = OPTS["checkpoint"], temperature: Optional[float] = OPTS["temperature"],
        top_p: Optional[float] = OPTS["top_p"], top_k: Optional[int] = OPTS["top_k"],
        min_p: Optional[float] = OPTS["min_p"],
        epsilon_cutoff: Optional[float] = OPTS["epsilon_cutoff"],
        repetition_penalty: Optional[float] = OPTS["repetition_penalty"],
        max_new_tokens: Optional[int] = OPTS["max_new_tokens"], seed: Optional[int] = OPTS["seed"],
        weights: Optional[str] = OPTS["weights"], fast_path: Optional[bool] = OPTS["fast_path"],
        backend: Optional[str] = OPTS["backend"], gguf: Optional[Path] = OPTS["gguf"],
    ) -> None:
        """Talk to a bot in the terminal, or get one reply with --prompt."""
        chatbot = _load_bot(bot, checkpoint, temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
                            epsilon_cutoff=epsilon_cutoff, repetition_penalty=repetition_penalty,
                            max_new_tokens=max_new_tokens, seed=seed,
                            weights=weights, fast_path=fast_path, backend=backend, gguf=gguf)
        if system is not None:
            chatbot.system_prompt = system
        if prompt is None:
            from botsmith.chat.session import ChatSession, history_path

            ChatSession(chatbot, history_file=history_path()).run()
            return
        _one_reply(chatbot, sys.stdin.read() if prompt == "-" else prompt, as_json)


def _register_complete(app: typer.Typer) -> None:
    @app.command("complete")
    def complete(
        bot_or_text: str = typer.Argument(..., metavar="BOT", help="The bot's folder; leave it out to use '.' (then this is TEXT)."),
        text: Optional[str] = typer.Argument(None, metavar="TEXT", help="The opening to continue."),
        n: int = typer.Option(1, "-n", "--samples", min=1, max=64, help="How many continuations to write."),
        as_json: bool = typer.Option(False, "--json", help="Print the samples as JSON."),
        checkpoint: Optional[str] = OPTS["checkpoint"], temperature: Optional[float] = OPTS["temperature"],
        top_p: Optional[float] = OPTS["top_p"], top_k: Optional[int] = OPTS["top_k"],
        min_p: Optional[float] = OPTS["min_p"],
        epsilon_cutoff: Optional[float] = OPTS["epsilon_cutoff"],
        repetition_penalty: Optional[float] = OPTS["repetition_penalty"],
        max_new_tokens: Optional[int] = OPTS["max_new_tokens"], seed: Optional[int] = OPTS["seed"],
        weights: Optional[str] = OPTS["weights"], fast_path: Optional[bool] = OPTS["fast_path"],
        backend: Optional[str] = OPTS["backend"], gguf: Optional[Path] = OPTS["gguf"],
    ) -> None:
        """Continue a story opening (completion bots): botsmith complete BOT "It was a dark and" -n 3."""
        bot, opening = (Path(bot_or_text), text) if text is not None else (Path("."), bot_or_text)
        chatbot = _load_bot(bot, checkpoint, temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
                            epsilon_cutoff=epsilon_cutoff, repetition_penalty=repetition_penalty,
                            max_new_tokens=max_new_tokens, seed=seed,
                            weights=weights, fast_path=fast_path, backend=backend, gguf=gguf)
        if as_json:  # nothing to watch: the samples are decoded side by side
            samples = chatbot.complete(opening, n)
            typer.echo(json.dumps({"bot": chatbot.name, "prompt": opening, "samples": samples}, ensure_ascii=False))
            return
        for index, stream in enumerate(chatbot.complete_streams(opening, n)):
            if n > 1:
                typer.echo(f"--- sample {index + 1} of {n} ---")
            _print_stream(opening, stream)


def _register_serve(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        bot: Path = typer.Argument(Path("."), help="The bot's folder."),
        host: Optional[str] = typer.Option(None, "--host", help="Address to bind (default 127.0.0.1: this machine only)."),
        port: Optional[int] = typer.Option(None, "--port", help="TCP port (default 8000)."),
        api_key: Optional[str] = typer.Option(None, "--api-key", help="Key clients must send as 'Authorization: Bearer KEY'. Prefer $BOTSMITH_API_KEY: other users of this machine can read a flag with ps."),
        queue_size: Optional[int] = typer.Option(None, "--queue-size", help="Requests that may wait for the model (429 beyond)."),
        max_tokens_limit: Optional[int] = typer.Option(None, "--max-tokens-limit", help="Largest max_tokens a request may ask for."),
        checkpoint: Optional[str] = OPTS["checkpoint"], temperature: Optional[float] = OPTS["temperature"],
        top_p: Optional[float] = OPTS["top_p"], top_k: Optional[int] = OPTS["top_k"],
        min_p: Optional[float] = OPTS["min_p"],
        epsilon_cutoff: Optional[float] = OPTS["epsilon_cutoff"],
        repetition_penalty: Optional[float] = OPTS["repetition_penalty"],
        max_new_tokens: Optional[int] = OPTS["max_new_tokens"], weights: Optional[str] = OPTS["weights"],
        fast_path: Optional[bool] = OPTS["fast_path"], backend: Optional[str] = OPTS["backend"],
        gguf: Optional[Path] = OPTS["gguf"],
    ) -> None:
        """Serve the bot: an OpenAI-compatible API under /v1 and a chat page at /."""
        from botsmith.serve import serve as serve_bot

        if api_key:
            _err("warning: --api-key shows the key to every user of this machine (ps, /proc); "
                 "set it in $BOTSMITH_API_KEY (or the variable [generate] api_key_env names) instead")

        chatbot = _load_bot(bot, checkpoint, temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
                            epsilon_cutoff=epsilon_cutoff, repetition_penalty=repetition_penalty,
                            max_new_tokens=max_new_tokens, host=host, port=port,
                            queue_size=queue_size, max_tokens_limit=max_tokens_limit, weights=weights,
                            fast_path=fast_path, backend=backend, gguf=gguf)
        serve_bot(chatbot, api_key=api_key, log=_err)


def _one_reply(chatbot: Any, message: str, as_json: bool) -> None:
    from botsmith.errors import BotsmithError

    if not message.strip():
        raise BotsmithError("--prompt is empty: give the message to reply to")
    stream = chatbot.stream([{"role": "user", "content": message}])
    if notice := chatbot.last_fit.notice():
        _err(notice)
    if not as_json:
        if not _print_stream("", stream).strip() and stream.stats.finish_reason == "stop":
            from botsmith.chat.session import NO_REPLY

            _err(f"{NO_REPLY}: ask again (another --seed), or raise --temperature")
        return
    reply = stream.text().strip()
    stats = stream.stats
    typer.echo(json.dumps({
        "bot": chatbot.name, "reply": reply, "finish_reason": stats.finish_reason, "seed": stats.seed,
        "prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
        "seconds": round(stats.seconds, 3), "tokens_per_s": round(stats.tokens_per_s, 1),
    }, ensure_ascii=False))


def _print_stream(prefix: str, stream: Any) -> str:
    """Print the prefix and the stream as it comes; the text the stream gave."""
    out, pieces = sys.stdout, []
    out.write(prefix)
    try:
        for piece in stream:
            pieces.append(piece)
            out.write(piece)
            out.flush()
    finally:
        out.write("\n")
        out.flush()
    return "".join(pieces)
