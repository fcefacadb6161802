"""The TurnStyle record, the named styles of common model families, and same-role merging."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence


@dataclass(frozen=True)
class TurnStyle:
    """How one family's template renders a conversation.

    Each turn is `open + content + close` for its role; a generation prompt adds `generation`
    (the assistant's `open` unless set: Llama-2 opens a reply with a space the prompt leaves out).
    `system` None means the template has no system turn: the system text is folded into the
    first user turn, between `fold[0]` and `fold[1]`. `alternate`
    means roles must alternate starting with a user: consecutive same-role turns are merged
    (joined by a newline) and a conversation that opens with the assistant gets an empty
    user turn first (holding the folded system prompt, if any).
    """

    name: str
    user: tuple[str, str]
    assistant: tuple[str, str]
    system: tuple[str, str] | None
    stop: str  # the end-of-turn marker generation stops at
    fold: tuple[str, str] = ("", "\n\n")
    alternate: bool = False
    markers: tuple[str, ...] = ()  # special tokens the style needs; added to a tokenizer that lacks them
    generation: str | None = None

    @property
    def reply_header(self) -> str:
        """What add_generation_prompt appends: the text before a reply the model writes."""
        return self.assistant[0] if self.generation is None else self.generation

    @property
    def system_as_user(self) -> bool:
        """Whether a system message after the first is rendered as a user turn (no system turn, or strict roles)."""
        return self.system is None or self.alternate

    def same_rendering(self, other: "TurnStyle") -> bool:
        """Whether two styles render every conversation alike (names and markers aside)."""
        return replace(self, name="", markers=()) == replace(other, name="", markers=())


def _header(open_: str, role: str, close: str) -> tuple[str, str]:
    return open_.replace("{role}", role), close


CHATML = TurnStyle("chatml", _header("<|im_start|>{role}\n", "user", "<|im_end|>\n"),
                   _header("<|im_start|>{role}\n", "assistant", "<|im_end|>\n"),
                   _header("<|im_start|>{role}\n", "system", "<|im_end|>\n"), "<|im_end|>",
                   markers=("<|im_start|>", "<|im_end|>"))
_LLAMA3_HEADER = "<|start_header_id|>{role}<|end_header_id|>\n\n"
LLAMA3 = TurnStyle("llama3", _header(_LLAMA3_HEADER, "user", "<|eot_id|>"),
                   _header(_LLAMA3_HEADER, "assistant", "<|eot_id|>"),
                   _header(_LLAMA3_HEADER, "system", "<|eot_id|>"), "<|eot_id|>",
                   markers=("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"))
PHI3 = TurnStyle("phi3", ("<|user|>\n", "<|end|>\n"), ("<|assistant|>\n", "<|end|>\n"), ("<|system|>\n", "<|end|>\n"),
                 "<|end|>", markers=("<|system|>", "<|user|>", "<|assistant|>", "<|end|>"))
ZEPHYR = TurnStyle("zephyr", ("<|user|>\n", "</s>\n"), ("<|assistant|>\n", "</s>\n"), ("<|system|>\n", "</s>\n"),
                   "</s>")
GEMMA = TurnStyle("gemma", ("<start_of_turn>user\n", "<end_of_turn>\n"), ("<start_of_turn>model\n", "<end_of_turn>\n"),
                  None, "<end_of_turn>", alternate=True, markers=("<start_of_turn>", "<end_of_turn>"))
MISTRAL = TurnStyle("mistral", ("[INST] ", " [/INST]"), ("", "</s>"), None, "</s>", alternate=True)
# Mistral-7B-Instruct-v0.3 writes "[/INST]" without the space and opens each reply with one.
MISTRAL_V3 = TurnStyle("mistral-v3", ("[INST] ", "[/INST]"), (" ", "</s>"), None, "</s>", alternate=True, generation="")
LLAMA2 = TurnStyle("llama2", ("[INST] ", " [/INST]"), (" ", " </s>"), None, "</s>",
                   fold=("<<SYS>>\n", "\n<</SYS>>\n\n"), alternate=True, generation="")

STYLES: dict[str, TurnStyle] = {
    style.name: style for style in (CHATML, LLAMA3, PHI3, ZEPHYR, GEMMA, MISTRAL, MISTRAL_V3, LLAMA2)}


def named_style(style: TurnStyle) -> TurnStyle:
    """`style` under its family's name when it renders like a named one (a derived style is called "derived")."""
    for known in STYLES.values():
        if known.same_rendering(style):
            return replace(style, name=known.name, markers=known.markers)
    return style


def merge_turns(messages: Sequence[dict[str, Any]], style: TurnStyle) -> list[dict[str, Any]]:
    """The turns `style` renders: a system message after the first reads as a user's where the style has no
    system turn or strict roles, and strict styles join consecutive same-role turns (by a newline)."""
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        role = "user" if message["role"] == "system" and index > 0 and style.system_as_user else message["role"]
        if style.alternate and turns and role == turns[-1]["role"] and role != "system":
            turns[-1] = {"role": role, "content": turns[-1]["content"] + "\n" + message["content"]}
        else:
            turns.append({"role": role, "content": message["content"]})
    return turns
