"""The [generate] table: sampling defaults for chat, complete and serve, and the server's limits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from botsmith.config.section import Section


class GenerateSection(Section):
    temperature: float = Field(0.7, ge=0.0, le=5.0, description="Sampling temperature (0: greedy).")
    top_p: float = Field(0.9, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    top_k: int = Field(50, ge=0, description="Sample only among the k likeliest tokens (0: off).")
    min_p: float = Field(0.0, ge=0.0, lt=1.0,
                         description="Keep only tokens at least this share as likely as the likeliest one (0: off).")
    epsilon_cutoff: float = Field(
        0.0, ge=0.0, lt=1.0,
        description="Drop tokens less likely than this, however flat the distribution (transformers' epsilon_cutoff, "
                    "used with temperature 1 and top_p 1; what it does to a bot: docs/train.md; 0: off).")
    repetition_penalty: float = Field(1.1, ge=1.0, le=3.0, description="Penalty for repeating tokens (1: off).")
    max_new_tokens: int = Field(200, ge=1, le=8192, description="Longest reply in tokens.")
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description=("Compute dtype for chat, complete and serve: auto is bf16 on CPUs with AMX or AVX512-BF16 "
                     "(the fastest here with the Llama fast path, see bench/generate.py) and on GPUs, else float32; "
                     "float32 gives replies identical to transformers' fp32 greedy output."),
    )
    weights: Literal["full", "int8"] = Field(
        "full",
        description=("Weights for the Llama fast path in chat, complete and serve: int8 keeps one int8 value per weight "
                     "and a scale per row (like llama.cpp's Q8_0), quantized once at load; it reads half the bytes of "
                     "bf16 per token, for a tiny accuracy loss "
                     "(greedy replies can differ from full weights after a few dozen tokens); on CPUs with AMX bf16 is faster "
                     "(int8 at 0.55x its tokens/s in bench/generate.py here): measure on yours."),
    )
    fast_path: bool = Field(
        True,
        description=("Decode Llama-family models on the CPU with botsmith's lean pass (checked against transformers "
                     "at load; 1.75x the tokens/s of transformers' fp32 generate in bench/generate.py); false: transformers' "
                     "own modules."),
    )
    backend: Literal["auto", "torch", "llama.cpp"] = Field(
        "auto",
        description=("What computes the next-token logits in chat, complete and serve: torch (the model in PyTorch), "
                     "llama.cpp (the bot's GGUF export run by llama-cpp-python; needs `botsmith export BOT --format gguf` "
                     "and `pip install 'botsmith[llamacpp]'`), or auto: llama.cpp where it is installed and a verified "
                     "GGUF export holds the very checkpoint being talked to (2x torch's tokens/s in bench/generate.py), "
                     "else torch; dtype = \"float32\" keeps torch. Sampling, stops and the chat format are botsmith's "
                     "either way."),
    )
    seed: int = Field(-1, ge=-1, description="Sampling seed for reproducible replies (-1: a new random seed each time).")
    context_tokens: int = Field(
        2048, ge=0,
        description="Longest prompt plus reply in tokens (0: the model's whole window); older turns are dropped to fit.",
    )
    host: str = Field("127.0.0.1", description="botsmith serve: address to bind (0.0.0.0 exposes the bot to your network).")
    port: int = Field(8000, ge=0, le=65535, description="botsmith serve: TCP port (0: any free port).")
    api_key_env: str = Field(
        "BOTSMITH_API_KEY",
        description="botsmith serve: environment variable holding the API key clients must send (unset: no key needed).",
    )
    max_body_bytes: int = Field(1_000_000, ge=1024, description="botsmith serve: largest request body accepted (413 beyond).")
    max_tokens_limit: int = Field(2048, ge=1, description="botsmith serve: largest max_tokens a request may ask for.")
    queue_size: int = Field(8, ge=1, description="botsmith serve: requests that may wait for the model (429 beyond).")
    max_prompts: int = Field(16, ge=1, description="botsmith serve: most prompts in one /v1/completions request.")
    max_messages: int = Field(512, ge=1, description="botsmith serve: most messages in one chat request.")
    max_request_tokens: int = Field(
        16384, ge=1,
        description="botsmith serve: most new tokens one request may ask for in all (prompts x n x max_tokens).",
    )
    body_timeout: float = Field(
        30.0, gt=0, description="botsmith serve: seconds a client has to send its whole request body (408 beyond).",
    )
    max_connections: int = Field(
        64, ge=1, description="botsmith serve: connections served at once, streaming replies included (503 beyond).",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description=("botsmith serve: host names clients may use besides localhost, IP addresses and `host`, e.g. a "
                     "reverse proxy's name; other Host and Origin headers are refused (DNS rebinding). \"*\": any."),
    )
