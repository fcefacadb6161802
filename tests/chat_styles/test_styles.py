"""Every chat style renders a conversation the same in botsmith, in its Jinja and in its Ollama TEMPLATE.

The styles come from the templates model families ship (tests/assets/chat_templates, as
published with SmolLM2, Qwen2.5, Qwen3, Llama 3, Gemma, Gemma 3, Mistral v0.2 and v0.3,
Llama 2, Phi-3 and Zephyr/TinyLlama). Conversations include what strict templates refuse:
a system prompt, a reply first, two turns of one role in a row, named users.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from botsmith.chat_format import ChatFormat, format_of_template, turn_text
from botsmith.chat_styles import STYLES, render_jinja
from tests.chat_styles.go_template import render as render_go

TEMPLATES = Path(__file__).parents[1] / "assets" / "chat_templates"
EOS = {"gemma": "<eos>", "gemma3": "<eos>", "phi3": "<|endoftext|>", "llama3": "<|eot_id|>", "mistral": "</s>",
       "mistral-v0.3": "</s>", "llama2": "</s>", "zephyr": "</s>"}
FAMILY = {"smollm2": "chatml", "qwen2.5": "chatml", "qwen3": "chatml", "llama3": "llama3", "gemma": "gemma",
          "gemma3": "gemma", "mistral": "mistral", "mistral-v0.3": "mistral-v3", "llama2": "llama2", "phi3": "phi3",
          "zephyr": "zephyr"}
ORIGINAL = {name: (TEMPLATES / f"{name}.jinja").read_text() for name in FAMILY}


def conversations(seed: int = 0, count: int = 40) -> list[list[dict]]:
    rng = random.Random(seed)
    found = [[{"role": "user", "content": "hi"}], [{"role": "assistant", "content": "hello first"}],
             [{"role": "system", "content": "Be brief."}], []]
    for _ in range(count):
        turns = [{"role": "system", "content": "You are Tobias."}] if rng.random() < 0.5 else []
        for index in range(rng.randint(1, 6)):
            role = rng.choice(["user", "assistant", "user", "assistant", "system"])
            turn = {"role": role, "content": rng.choice(["well", "a lamp, lit", "two\nlines", "é ☃ \"quoted\""])
                    + f" {index}"}
            if role == "user" and rng.random() < 0.3:
                turn["name"] = rng.choice(["Ann", "Bob"])
            turns.append(turn)
        found.append(turns)
    return found


def ollama_render(chat_format: ChatFormat, messages: list[dict], system: str | None) -> str:
    """What Ollama sends the model: SYSTEM first when the request has no system message, no names."""
    if system is not None and not (messages and messages[0]["role"] == "system"):
        messages = [{"role": "system", "content": system}, *messages]
    data = {"Messages": [{"Role": m["role"], "Content": turn_text(m)} for m in messages]}
    return render_go(chat_format.ollama_template(), data)


@pytest.mark.parametrize("name", FAMILY)
def test_the_shipped_template_reads_as_its_family(name):
    chat_format = format_of_template(ORIGINAL[name], eos_token=EOS.get(name, "<|im_end|>"))
    assert chat_format.family == FAMILY[name]
    assert chat_format.style == STYLES[FAMILY[name]]


@pytest.mark.parametrize("system", [None, "You are Tobias, a keeper."], ids=["no system prompt", "system prompt"])
@pytest.mark.parametrize("name", STYLES)
def test_python_jinja_and_ollama_render_alike(name, system):
    chat_format = ChatFormat.from_style(STYLES[name]).with_system(system)
    for messages in conversations():
        for prompt in (False, True):
            ours = chat_format.render(messages, add_generation_prompt=prompt)
            # any program rendering the exported template on the raw messages (names included)
            assert render_jinja(chat_format.jinja, messages, add_generation_prompt=prompt) == ours, messages
        assert ollama_render(chat_format, messages, system) == chat_format.prompt(messages), messages
        segments = chat_format.segments(messages)
        assert "".join(segment.text for segment in segments) == chat_format.render(messages,
                                                                                   add_generation_prompt=False)


@pytest.mark.parametrize("name", FAMILY)
def test_botsmith_renders_alternating_conversations_as_the_original(name):
    """On what the original accepts, the family's style renders what the original does (its persona aside)."""
    eos = EOS.get(name, "<|im_end|>")
    chat_format = format_of_template(ORIGINAL[name], eos_token=eos)
    system = [{"role": "system", "content": "Be brief."}]
    turns = [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "Hi!"},
             {"role": "user", "content": "How is the lamp?"}]
    if name == "mistral-v0.3":  # it puts the system prompt in the last user turn; botsmith, in the first
        original = render_jinja(ORIGINAL[name], turns, add_generation_prompt=True, eos_token=eos)
        assert chat_format.prompt(turns) == original
        return
    if name in ("gemma", "mistral"):  # these refuse a system prompt; botsmith folds it into the first turn
        folded = [{"role": "user", "content": "Be brief.\n\nHello there"}, *turns[1:]]
        original = render_jinja(ORIGINAL[name], folded, add_generation_prompt=True, eos_token=eos)
    else:
        original = render_jinja(ORIGINAL[name], system + turns, add_generation_prompt=True, eos_token=eos)
    assert chat_format.prompt(system + turns) == original


def test_strict_styles_merge_fold_and_lead_with_a_user_turn():
    gemma = ChatFormat.from_style(STYLES["gemma"]).with_system("You are Tobias.")
    messages = [{"role": "assistant", "content": "Evening."}, {"role": "assistant", "content": "Lamp's lit."},
                {"role": "user", "content": "hi", "name": "Ann"}, {"role": "user", "content": "hello", "name": "Bob"}]
    assert gemma.prompt(messages) == (
        "<start_of_turn>user\nYou are Tobias.\n\n<end_of_turn>\n"
        "<start_of_turn>model\nEvening.\nLamp's lit.<end_of_turn>\n"
        "<start_of_turn>user\nAnn: hi\nBob: hello<end_of_turn>\n<start_of_turn>model\n")
    segments = gemma.segments(messages[:2])
    assert [s.text for s in segments if s.trainable] == ["Evening.\nLamp's lit.<end_of_turn>\n"]
    llama2 = ChatFormat.from_style(STYLES["llama2"]).with_system("Be brief.")
    assert llama2.prompt([{"role": "user", "content": "Hi"}]) == "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]"
