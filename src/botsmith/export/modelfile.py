"""Ollama's Modelfile, and the `template` / `params` / `system` files `ollama run hf.co/...` reads.

The TEMPLATE and stop markers come from botsmith.chat_format, the same definition
training used, so Ollama prompts the model exactly as it was trained. Completion bots
get a prompt-only template: Ollama passes the text through and the model continues it.
"""

from __future__ import annotations

import json
from typing import Any

from botsmith.errors import BotsmithError

PROMPT_ONLY_TEMPLATE = "{{ .Prompt }}"
MAX_NUM_CTX = 4096  # Ollama allocates the KV cache for num_ctx; the model's full window is rarely needed


def ollama_template(chat_format: Any, mode: str) -> str:
    return PROMPT_ONLY_TEMPLATE if mode == "completion" else chat_format.ollama_template()


def ollama_stops(chat_format: Any, mode: str) -> list[str]:
    # A completion bot has no turns; it stops at the end-of-text token Ollama already knows.
    return [] if mode == "completion" else list(chat_format.stop)


def ollama_params(chat_format: Any, mode: str, generate: Any, context_length: int) -> dict[str, Any]:
    """Sampling defaults from the bot's [generate] table, in Ollama's parameter names."""
    params: dict[str, Any] = {}
    stops = ollama_stops(chat_format, mode)
    if stops:
        params["stop"] = stops
    params.update({
        "temperature": generate.temperature,
        "top_p": generate.top_p,
        "top_k": generate.top_k,
        "min_p": generate.min_p,
        "repeat_penalty": generate.repetition_penalty,
        "num_predict": generate.max_new_tokens,
        "num_ctx": min(context_length, MAX_NUM_CTX),
    })
    return params


def modelfile_text(gguf_name: str, *, chat_format: Any, mode: str, generate: Any, context_length: int) -> str:
    """A Modelfile beside the GGUF: `ollama create NAME -f Modelfile` then `ollama run NAME`.

    SYSTEM is the bot's system prompt from its chat format: Ollama then renders the same text training did."""
    system_prompt = chat_format.system_prompt
    lines = [f"# Made by botsmith. Use: ollama create NAME -f Modelfile && ollama run NAME",
             f"FROM ./{gguf_name}", "", f'TEMPLATE """{_triple_quoted(ollama_template(chat_format, mode), "TEMPLATE")}"""']
    if system_prompt and mode != "completion":
        lines.append(f'SYSTEM """{_triple_quoted(system_prompt, "SYSTEM")}"""')
    lines.append("")
    if generate.epsilon_cutoff:
        lines.append(f"# [generate] epsilon_cutoff = {_number(generate.epsilon_cutoff)} has no Ollama parameter: "
                     "Ollama samples with the cuts below only")
    for key, value in ollama_params(chat_format, mode, generate, context_length).items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"PARAMETER {key} {json.dumps(item) if isinstance(item, str) else _number(item)}")
    return "\n".join(lines) + "\n"


def _triple_quoted(text: str, what: str) -> str:
    if '"""' in text:
        raise BotsmithError(f'the {what} contains """, which a Modelfile cannot quote',
                            hint="remove the triple quotes from the system prompt in botsmith.toml")
    return text


def _number(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"
