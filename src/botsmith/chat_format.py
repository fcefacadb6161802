"""Chat templates, defined once.

Training, chat, serving and export all ask this module how a conversation becomes text.
The base model's own template is read into a turn style (`botsmith.chat_styles`): the
header and end marker of each role's turn, where the system prompt goes, whether roles
must alternate. The style's own Jinja then renders every conversation, and the same style
yields the GGUF `tokenizer.chat_template`, the Ollama TEMPLATE and the stop marker, so all
of them render a conversation the same. `[bot] chat_template` chooses another style by name
or a Jinja file. A base without a template gets ChatML; a template that is not a per-turn
wrapping ("custom") is rendered as it is, and has no Ollama TEMPLATE.

A bot has one system prompt (or none), and its format carries it as the template's
default: a conversation without a system message is rendered with the bot's prompt,
the same text in training, chat, serve, eval and every export. A persona a base template
injects by itself when there is no system message ("You are a helpful AI assistant named
SmolLM...") is not part of its style, so no base persona reaches a bot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

from botsmith.chat_styles import (STYLES, TurnStyle, derive_style, merge_turns, render_jinja, render_style,
                                  style_go_template, style_jinja)
from botsmith.chat_styles.style import CHATML
from botsmith.errors import BotsmithError, ConfigError

CHATML_START, CHATML_END = "<|im_start|>", "<|im_end|>"

# The plain ChatML template, as models that ship one write it (and the test tokenizer has).
CHATML_JINJA = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# A bot's default system prompt, put in front of any template: the message list gains the bot's
# system message when it has none. The marker lets a saved template be read back.
DEFAULT_SYSTEM_MARKER = "{#- botsmith: the bot's default system prompt -#}"
DEFAULT_SYSTEM_JINJA = (
    DEFAULT_SYSTEM_MARKER
    + "{%- if not messages or messages[0]['role'] != 'system' -%}"
    "{%- set messages = [{'role': 'system', 'content': __PROMPT__}] + messages -%}"
    "{%- endif -%}"
)


@dataclass(frozen=True)
class Segment:
    """A run of conversation text, and whether the loss is taken on it."""

    text: str
    trainable: bool


@dataclass(frozen=True)
class ChatFormat:
    family: str  # the style's name ("chatml", "gemma", ..., "derived"), or "custom"
    template: str  # the conversation template (Jinja), without the bot's default system prompt
    stop: tuple[str, ...]  # end-of-turn markers: generation stops at any of them
    system_prompt: str | None = None  # the bot's default system prompt (None: the bot has none)
    style: TurnStyle | None = None  # None for a custom template

    @classmethod
    def from_style(cls, style: TurnStyle, system_prompt: str | None = None) -> "ChatFormat":
        return cls(style.name, style_jinja(style), (style.stop,), system_prompt, style)

    @property
    def jinja(self) -> str:
        """What goes into tokenizer_config.json and GGUF tokenizer.chat_template: the bot's default system prompt
        in front of the template, so any program that renders it talks to the bot that was trained."""
        if self.system_prompt is None:
            return self.template
        literal = json.dumps(self.system_prompt, ensure_ascii=False)  # also a valid Jinja string literal
        return DEFAULT_SYSTEM_JINJA.replace("__PROMPT__", literal) + self.template

    @property
    def markers(self) -> tuple[str, ...]:
        """The special tokens this format needs: its turn markers and its stop marker."""
        return (*self.style.markers, self.style.stop) if self.style else ()

    def with_system(self, system_prompt: str | None) -> "ChatFormat":
        """This format for a bot whose system prompt is `system_prompt` (None or "": the bot has none)."""
        return replace(self, system_prompt=system_prompt or None)

    def default_system(self) -> str | None:
        """The system text a conversation without a system message is rendered with, if any: the bot's
        system prompt, or a persona a custom template injects by itself."""
        if self.system_prompt is not None or self.style is not None:
            return self.system_prompt
        return injected_system(self.template, self.end_of_turn)

    @property
    def end_of_turn(self) -> str:
        return self.stop[0]

    def ollama_template(self) -> str:
        if self.style is None:
            raise BotsmithError(
                "this base model's chat template is not a turn-by-turn template botsmith can write for Ollama",
                hint=f"set [bot] chat_template to one of {', '.join(STYLES)} and retrain, "
                     "or write the TEMPLATE in the Modelfile by hand",
            )
        return style_go_template(self.style)

    def turns(self, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The turns as this format renders them: names in the user's words, same-role turns merged where
        the template wants roles to alternate."""
        turns = [{"role": m["role"], "content": turn_text(m)} for m in messages]
        return merge_turns(turns, self.style) if self.style else turns

    def render(self, messages: Sequence[dict[str, Any]], *, add_generation_prompt: bool) -> str:
        """The conversation as text: the style rendered in Python (its Jinja, which exports carry, renders the
        same), or a custom template through its Jinja."""
        if self.style is not None:
            return render_style(self.style, messages, add_generation_prompt=add_generation_prompt,
                                default_system=self.system_prompt)
        return _render(self.jinja, self.turns(messages), add_generation_prompt, self.end_of_turn)

    def prompt(self, messages: Sequence[dict[str, Any]]) -> str:
        """The text a model continues to write the next assistant turn."""
        return self.render(messages, add_generation_prompt=True)

    def segments(self, messages: Sequence[dict[str, Any]]) -> list[Segment]:
        """Split a rendered conversation into spans, trainable only on assistant content and its end marker.

        Rendered by prefixes: the text a reply adds to the prompt before it is that reply's. The
        assistant header (what add_generation_prompt adds) is context, not a target.
        """
        turns, segments, rendered = self.turns(messages), [], ""
        for index, turn in enumerate(turns):
            if turn["role"] != "assistant":
                continue
            prompt = self._extend(rendered, turns[:index], add_generation_prompt=True)
            reply = self._extend(prompt, turns[: index + 1], add_generation_prompt=False)
            segments += [Segment(prompt[len(rendered):], False), Segment(reply[len(prompt):], True)]
            rendered = reply
        rest = self._extend(rendered, turns, add_generation_prompt=False)
        segments.append(Segment(rest[len(rendered):], False))
        return [segment for segment in segments if segment.text]

    def _extend(self, prefix: str, turns: Sequence[dict[str, Any]], *, add_generation_prompt: bool) -> str:
        text = self.render(turns, add_generation_prompt=add_generation_prompt)
        if not text.startswith(prefix):
            raise BotsmithError(
                f"the {self.family} chat template does not render conversations turn by turn",
                hint=f"set [bot] chat_template to one of {', '.join(STYLES)}",
            )
        return text


def turn_text(message: dict[str, Any]) -> str:
    """A turn's content as rendered: a named user turn reads "Name: text" (templates have no name field)."""
    if message.get("name") and message["role"] == "user":
        return f"{message['name']}: {message['content']}"
    return message["content"]


def _render(jinja: str, turns: Sequence[dict[str, Any]], add_generation_prompt: bool, end_of_turn: str) -> str:
    return render_jinja(jinja, turns, add_generation_prompt=add_generation_prompt, eos_token=end_of_turn)


# Stand-ins for contents, unlikely in any template, to see what a template adds around them.
_SYSTEM_PROBE, _USER_PROBE = "\x01system-probe\x01", "\x01user-probe\x01"


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
    return ChatFormat.from_style(CHATML)


def format_of_template(jinja: str, *, eos_token: str | None = None, special_tokens: Sequence[str] = ()) -> ChatFormat:
    """The chat format a Jinja template renders: its turn style when it has one, else the template as it is."""
    template, system_prompt = _split_default_system(jinja)
    style = derive_style(template, eos_token=eos_token or "", special_tokens=special_tokens)
    if style is not None:
        return ChatFormat.from_style(style, system_prompt)
    return ChatFormat("custom", template, (eos_token or CHATML_END,), system_prompt)


def chat_format_for(tokenizer: Any) -> ChatFormat:
    """The chat format of a tokenizer: its own template when it has one, else ChatML."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates: the default one
        template = template.get("default")
    if not template:
        return chatml()
    return format_of_template(template, eos_token=getattr(tokenizer, "eos_token", None),
                              special_tokens=_special_tokens(tokenizer))


def _special_tokens(tokenizer: Any) -> list[str]:
    added = getattr(tokenizer, "added_tokens_decoder", None) or {}
    return [*getattr(tokenizer, "all_special_tokens", []), *(token.content for token in added.values())]


def template_setting(value: str, root: str | Path | None = None) -> str:
    """`[bot] chat_template` made usable anywhere: "" (the base's own), a style name, or a Jinja file's absolute
    path (a relative one is looked up in the bot folder `root`, then the working folder)."""
    if not value or value in STYLES:
        return value
    path = Path(value).expanduser()
    for candidate in ([Path(root) / path] if root and not path.is_absolute() else []) + [path]:
        if candidate.is_file():
            return str(candidate.resolve())
    raise ConfigError(f"[bot] chat_template = {value!r}: neither a template name nor a Jinja file",
                      hint=f"use one of {', '.join(STYLES)}, a path to a .jinja file, or \"\" for the base model's own")


def format_for_setting(setting: str, tokenizer: Any) -> ChatFormat | None:
    """The format `[bot] chat_template` chooses (see template_setting), or None for the base model's own."""
    if not setting:
        return None
    if setting in STYLES:
        return ChatFormat.from_style(STYLES[setting])
    try:
        jinja = Path(setting).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"[bot] chat_template: cannot read {setting} ({error})") from None
    return format_of_template(jinja, eos_token=tokenizer.eos_token, special_tokens=_special_tokens(tokenizer))


def install_chat_format(tokenizer: Any, model: Any | None = None, chat_template: str = "") -> ChatFormat:
    """The tokenizer's chat format, installed on it: the one `chat_template` (a template_setting) chooses,
    else its own template, else ChatML. Markers the tokenizer lacks become special tokens.

    When tokens are added the model's embeddings grow to match; callers that train
    must then train the embeddings too (the new rows start untrained).
    """
    chosen = format_for_setting(chat_template, tokenizer)
    if chosen is None:
        if getattr(tokenizer, "chat_template", None):
            return chat_format_for(tokenizer)
        chosen = chatml()
    vocab = tokenizer.get_vocab()
    missing = [marker for marker in dict.fromkeys(chosen.markers) if marker not in vocab]
    added = tokenizer.add_special_tokens({"additional_special_tokens": missing},
                                         replace_extra_special_tokens=False) if missing else 0
    tokenizer.chat_template = chosen.jinja
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if added and model is not None:
        model.resize_token_embeddings(len(tokenizer))
    return chosen
