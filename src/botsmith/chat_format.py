"""Chat templates, defined once.

Training, chat, serving and export all ask this module how a conversation becomes
text. The base model's own template is used when it has one (rendered by its Jinja
through the tokenizer, so it is exactly the model's); a base without one gets ChatML.
The same definition yields the GGUF `tokenizer.chat_template`, the Ollama TEMPLATE
and the stop markers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from botsmith.errors import BotsmithError

CHATML_START, CHATML_END = "<|im_start|>", "<|im_end|>"

CHATML_JINJA = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Go templates for Ollama's Modelfile, one per family we can recognise.
CHATML_OLLAMA = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
)
LLAMA3_OLLAMA = (
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n"
)


@dataclass(frozen=True)
class Segment:
    """A run of conversation text, and whether the loss is taken on it."""

    text: str
    trainable: bool


@dataclass(frozen=True)
class ChatFormat:
    family: str  # "chatml", "llama3" or "custom"
    jinja: str  # what goes into tokenizer_config.json and GGUF tokenizer.chat_template
    stop: tuple[str, ...]  # end-of-turn markers: generation stops at any of them

    @property
    def end_of_turn(self) -> str:
        return self.stop[0]

    def ollama_template(self) -> str:
        if self.family == "chatml":
            return CHATML_OLLAMA
        if self.family == "llama3":
            return LLAMA3_OLLAMA
        raise BotsmithError(
            "this base model's chat template has no Ollama equivalent botsmith knows",
            hint="use a ChatML or Llama-3 base, or write the TEMPLATE in the Modelfile by hand",
        )

    def render(self, messages: Sequence[dict[str, Any]], *, add_generation_prompt: bool) -> str:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_template_error
        return env.from_string(self.jinja).render(
            messages=[{"role": m["role"], "content": turn_text(m)} for m in messages],
            add_generation_prompt=add_generation_prompt,
            bos_token="", eos_token=self.end_of_turn,
        )

    def prompt(self, messages: Sequence[dict[str, Any]]) -> str:
        """The text a model continues to write the next assistant turn."""
        return self.render(messages, add_generation_prompt=True)

    def segments(self, messages: Sequence[dict[str, Any]]) -> list[Segment]:
        """Split a rendered conversation into spans, trainable only on assistant content and its end marker.

        Rendered by prefixes: the text one more turn adds is that turn's. The assistant
        header (what add_generation_prompt adds) is context, not a target.
        """
        segments: list[Segment] = []
        rendered = ""
        for index, message in enumerate(messages):
            if message["role"] == "assistant":
                with_header = self._extend(rendered, messages[:index], add_generation_prompt=True)
                segments.append(Segment(with_header[len(rendered):], False))
                rendered = with_header
            full = self._extend(rendered, messages[: index + 1], add_generation_prompt=False)
            segments.append(Segment(full[len(rendered):], message["role"] == "assistant"))
            rendered = full
        return [segment for segment in segments if segment.text]

    def _extend(self, prefix: str, messages: Sequence[dict[str, Any]], *, add_generation_prompt: bool) -> str:
        text = self.render(messages, add_generation_prompt=add_generation_prompt)
        if not text.startswith(prefix):
            raise BotsmithError(
                f"the {self.family} chat template does not render conversations turn by turn",
                hint="use a base model with a ChatML or Llama-3 template",
            )
        return text


def turn_text(message: dict[str, Any]) -> str:
    """A turn's content as rendered: a named user turn reads "Name: text" (templates have no name field)."""
    if message.get("name") and message["role"] == "user":
        return f"{message['name']}: {message['content']}"
    return message["content"]


def _raise_template_error(message: str) -> None:
    raise BotsmithError(f"chat template: {message}")


def chatml() -> ChatFormat:
    return ChatFormat("chatml", CHATML_JINJA, (CHATML_END,))


def chat_format_for(tokenizer: Any) -> ChatFormat:
    """The chat format of a tokenizer: its own template when it has one, else ChatML."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates: the default one
        template = template.get("default")
    if not template:
        return chatml()
    if CHATML_START in template:
        return ChatFormat("chatml", template, (CHATML_END,))
    if "<|start_header_id|>" in template:
        return ChatFormat("llama3", template, ("<|eot_id|>",))
    eos = getattr(tokenizer, "eos_token", None)
    return ChatFormat("custom", template, (eos,) if eos else (CHATML_END,))


def install_chat_format(tokenizer: Any, model: Any | None = None) -> ChatFormat:
    """Give a tokenizer without a template ChatML, adding its markers as special tokens.

    When tokens are added the model's embeddings grow to match; callers that train
    must then train the embeddings too (the new rows start untrained).
    """
    if getattr(tokenizer, "chat_template", None):
        return chat_format_for(tokenizer)
    format_ = chatml()
    added = tokenizer.add_special_tokens({"additional_special_tokens": [CHATML_START, CHATML_END]})
    tokenizer.chat_template = format_.jinja
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if added and model is not None:
        model.resize_token_embeddings(len(tokenizer))
    return format_
