"""Chat templates, defined once.

Training, chat, serving and export all ask this module how a conversation becomes
text. The base model's own template is used when it has one (rendered by its Jinja
through the tokenizer, so it is exactly the model's); a base without one gets ChatML.
The same definition yields the GGUF `tokenizer.chat_template`, the Ollama TEMPLATE
and the stop markers.

A bot has one system prompt (or none), and its format carries it as the template's
default: a conversation without a system message is rendered with the bot's prompt,
the same text in training, chat, serve, eval and every export. A base template that
injects a persona of its own when there is no system message ("You are a helpful AI
assistant named SmolLM...") is replaced by its plain family template, which renders
every conversation that has a system message byte for byte the same, so no base
persona reaches a bot that has no system prompt.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
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
LLAMA3_JINJA = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
# The plain template of each family: what a base template that injects its own persona is replaced by.
PLAIN_JINJA = {"chatml": CHATML_JINJA, "llama3": LLAMA3_JINJA}

# A bot's default system prompt, put in front of any template: the message list gains the bot's
# system message when it has none. The marker lets a saved template be read back.
DEFAULT_SYSTEM_MARKER = "{#- botsmith: the bot's default system prompt -#}"
DEFAULT_SYSTEM_JINJA = (
    DEFAULT_SYSTEM_MARKER
    + "{%- if not messages or messages[0]['role'] != 'system' -%}"
    "{%- set messages = [{'role': 'system', 'content': __PROMPT__}] + messages -%}"
    "{%- endif -%}"
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
    template: str  # the conversation template (Jinja), without the bot's default system prompt
    stop: tuple[str, ...]  # end-of-turn markers: generation stops at any of them
    system_prompt: str | None = None  # the bot's default system prompt (None: the bot has none)

    @property
    def jinja(self) -> str:
        """What goes into tokenizer_config.json and GGUF tokenizer.chat_template: the bot's default system prompt
        in front of the template, so any program that renders it talks to the bot that was trained."""
        if self.system_prompt is None:
            return self.template
        literal = json.dumps(self.system_prompt, ensure_ascii=False)  # also a valid Jinja string literal
        return DEFAULT_SYSTEM_JINJA.replace("__PROMPT__", literal) + self.template

    def with_system(self, system_prompt: str | None) -> "ChatFormat":
        """This format for a bot whose system prompt is `system_prompt` (None or "": the bot has none).

        A template that injects a persona of its own when there is no system message is replaced by
        its family's plain template when that renders conversations with a system message identically.
        """
        template = self.template
        plain = PLAIN_JINJA.get(self.family)
        if plain and template != plain and injected_system(template, self.stop[0]) is not None:
            if _same_with_system(template, plain, self.stop[0]):
                template = plain
        return replace(self, template=template, system_prompt=system_prompt or None)

    def default_system(self) -> str | None:
        """The system text a conversation without a system message is rendered with, if any: the bot's
        system prompt, or a persona the base template injects by itself."""
        if self.system_prompt is not None:
            return self.system_prompt
        return injected_system(self.template, self.stop[0])

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
        return _render(self.jinja, messages, add_generation_prompt, self.end_of_turn)

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


def _render(jinja: str, messages: Sequence[dict[str, Any]], add_generation_prompt: bool, end_of_turn: str) -> str:
    return _compiled(jinja).render(
        messages=[{"role": m["role"], "content": turn_text(m)} for m in messages],
        add_generation_prompt=add_generation_prompt, bos_token="", eos_token=end_of_turn,
    )


@functools.lru_cache(maxsize=32)
def _compiled(jinja: str) -> Any:
    # Compiling a template takes milliseconds; training renders it several times per example.
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_template_error
    return env.from_string(jinja)


def _raise_template_error(message: str) -> None:
    raise BotsmithError(f"chat template: {message}")


# Stand-ins for contents, unlikely in any template, to see what a template adds around them.
_SYSTEM_PROBE, _USER_PROBE, _ASSISTANT_PROBE = "\x01system-probe\x01", "\x01user-probe\x01", "\x01assistant-probe\x01"


def injected_system(template: str, end_of_turn: str = CHATML_END) -> str | None:
    """The system text `template` renders for a conversation that has no system message, or None.

    Found by rendering one conversation with a probe system message and one without: if the
    second is the first with other text where the probe was, that text is the injected persona.
    """
    user = [{"role": "user", "content": _USER_PROBE}]
    try:
        with_system = _render(template, [{"role": "system", "content": _SYSTEM_PROBE}, *user], False, end_of_turn)
        without = _render(template, user, False, end_of_turn)
    except Exception:  # a template that refuses a system role injects nothing we can see
        return None
    if with_system.count(_SYSTEM_PROBE) != 1:
        return None
    before, after = with_system.split(_SYSTEM_PROBE)
    if len(without) < len(before) + len(after) or not (without.startswith(before) and without.endswith(after)):
        return None
    return without[len(before):len(without) - len(after)]


def _same_with_system(template: str, plain: str, end_of_turn: str) -> bool:
    """Whether two templates render conversations that start with a system message identically."""
    conversation = [{"role": "system", "content": _SYSTEM_PROBE}, {"role": "user", "content": _USER_PROBE},
                    {"role": "assistant", "content": _ASSISTANT_PROBE}, {"role": "user", "content": _USER_PROBE}]
    try:
        return all(_render(template, conversation[:n], gen, end_of_turn) == _render(plain, conversation[:n], gen, end_of_turn)
                   for n in (2, 3, 4) for gen in (False, True))
    except Exception:
        return False


def _split_default_system(jinja: str) -> tuple[str, str | None]:
    """(template, bot system prompt) of a template botsmith saved with a default system prompt in front."""
    head, _, tail = DEFAULT_SYSTEM_JINJA.partition("__PROMPT__")
    if not jinja.startswith(head):
        return jinja, None
    try:
        prompt, end = json.JSONDecoder().raw_decode(jinja, len(head))
    except ValueError:
        return jinja, None
    if not isinstance(prompt, str) or not jinja.startswith(tail, end):
        return jinja, None
    return jinja[end + len(tail):], prompt


def chatml() -> ChatFormat:
    return ChatFormat("chatml", CHATML_JINJA, (CHATML_END,))


def chat_format_for(tokenizer: Any) -> ChatFormat:
    """The chat format of a tokenizer: its own template when it has one, else ChatML."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates: the default one
        template = template.get("default")
    if not template:
        return chatml()
    template, system_prompt = _split_default_system(template)
    if CHATML_START in template:
        return ChatFormat("chatml", template, (CHATML_END,), system_prompt)
    if "<|start_header_id|>" in template:
        return ChatFormat("llama3", template, ("<|eot_id|>",), system_prompt)
    eos = getattr(tokenizer, "eos_token", None)
    return ChatFormat("custom", template, (eos,) if eos else (CHATML_END,), system_prompt)


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
