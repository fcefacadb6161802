"""One system prompt from dataset to every runtime: the prompt text is byte-identical everywhere.

The base here is a tiny Llama with the chat template of each model family (as the family
ships it, tests/assets/chat_templates), its turn markers as special tokens. SmolLM2's
injects a persona of its own when a conversation has no system message ("You are a
helpful AI assistant named SmolLM..."); Gemma, Mistral and Llama-2 refuse a system message
or two user turns in a row. A trained bot renders the same text in training, chat, serve,
the HF export, the GGUF's template and the Ollama Modelfile, and never a base persona.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from botsmith.chat_format import CHATML_JINJA
from tests.chat_styles.go_template import render as render_go
from tests.chat_styles.test_styles import ORIGINAL

BASE_PERSONA = "You are a helpful AI assistant named SmolLM"
PERSONA_TEMPLATE = ORIGINAL["smollm2"]
PLAY = """THE LIGHTHOUSE

ACT I.

SCENE I. The lamp room.

MARGUERITE.
The lamp is lit, brother.

TOBIAS.
You say that every night, sister.

MARGUERITE.
And every night it is true.

TOBIAS.
She never doubts. I doubt for both of us.

MARGUERITE.
What do you see out there?

TOBIAS.
Nothing. There is someone at the door.

MARGUERITE.
It is the inspector from the city.

TOBIAS.
Will he write a good report?

MARGUERITE.
He saw the light from the bay.

TOBIAS.
Then he saw a tired woman and a brave light.
"""
HELLO = [{"role": "user", "content": "Hello, who are you?"}]
# Two user turns in a row: what strict templates refuse, and botsmith merges.
TALK = [*HELLO, {"role": "assistant", "content": "I keep the light."}, {"role": "user", "content": "Is it lit?"},
        {"role": "user", "content": "Tell me."}]
# template file -> (turn markers the family's tokenizer has as special tokens, its end-of-turn token)
FAMILIES = {"smollm2": ((), "<|im_end|>"), "qwen3": ((), "<|im_end|>"),
            "llama3": (("<|start_header_id|>", "<|end_header_id|>"), "<|eot_id|>"),
            "gemma": (("<start_of_turn>",), "<end_of_turn>"), "mistral": (("[INST]", "[/INST]"), "</s>"),
            "llama2": (("[INST]", "[/INST]"), "</s>"), "phi3": (("<|system|>", "<|user|>", "<|assistant|>"), "<|end|>"),
            "zephyr": ((), "</s>")}


def family_base(root: Path, tiny_llama: Path, family: str) -> Path:
    """The tiny Llama with `family`'s template, markers and end-of-turn token, as that family's models ship."""
    import shutil

    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = root / f"{family}-base"
    if folder.is_dir():
        return folder
    markers, end = FAMILIES[family]
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_llama))
    missing = [marker for marker in (*markers, end) if marker not in tokenizer.get_vocab()]
    tokenizer.add_special_tokens({"additional_special_tokens": missing}, replace_extra_special_tokens=False)
    tokenizer.eos_token = end
    tokenizer.chat_template = ORIGINAL[family]
    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama))
    model.resize_token_embeddings(len(tokenizer))
    model.config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    shutil.rmtree(folder / ".cache", ignore_errors=True)
    return folder


@pytest.fixture(scope="module")
def bases(tmp_path_factory, tiny_llama):
    root = tmp_path_factory.mktemp("family-bases")
    return lambda family: family_base(root, tiny_llama, family)


@pytest.fixture(scope="module")
def persona_base(bases) -> Path:
    """The tiny Llama with SmolLM2's template, which injects its own persona."""
    return bases("smollm2")


def make_bot(root: Path, base: Path, *, character: str | None):
    from botsmith.bot_folder import new_bot
    from botsmith.config import save_config
    from botsmith.dataset import build_dataset

    mode = "dialogue" if character else "chat"
    folder = new_bot(root, mode=mode, base_model=str(base), name="Lamp")
    if character:
        (root / "play.txt").write_text(PLAY)
        from botsmith.sources import add_files

        add_files(folder.root, [root / "play.txt"], log=lambda line: None)
        config = folder.config().with_overrides("dataset", character=character, validation_fraction=0.3)
    else:
        chat = root / "chat.jsonl"
        rows = [{"messages": [{"role": "user", "content": f"how is the lamp {i}"},
                              {"role": "assistant", "content": f"bright as ever {i}"}]} for i in range(12)]
        chat.write_text("".join(json.dumps(row) + "\n" for row in rows))
        (folder.root / "data" / "raw" / "chats").mkdir(parents=True)
        (folder.root / "data" / "raw" / "chats" / "chat.jsonl").write_text(chat.read_text())
        config = folder.config()
    config = config.with_overrides("train", max_steps=2, batch_size=2, eval_every=2, max_length=128, sample_tokens=2,
                                   threads=1, eval_at_end=False)
    save_config(folder.root, config)
    build_dataset(folder.root, log=lambda line: None)
    return folder


def training_prompt(folder, run_dir: Path, messages: list[dict]) -> str:
    """The text training put before the assistant's reply to `messages`, from the run's own setup."""
    from botsmith.train.data import IGNORE, Tokenizer
    from botsmith.models import load_checkpoint

    loaded = load_checkpoint(run_dir / "best")
    tokenizer = Tokenizer(loaded.tokenizer, loaded.chat_format, max_length=512)
    example = tokenizer.example({"messages": [*messages, {"role": "assistant", "content": "Aye."}]})
    targets = [i for i, label in enumerate(example.labels) if label != IGNORE]
    last_reply = next(i for i in reversed(targets) if i - 1 not in targets)
    return loaded.tokenizer.decode(example.input_ids[:last_reply])


def runtime_prompts(folder, tmp_path: Path, messages: list[dict]) -> dict[str, str]:
    """The prompt text each runtime sends for `messages`."""
    import httpx
    from gguf import GGUFReader
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from transformers import AutoTokenizer

    from botsmith.chat import Chatbot
    from botsmith.export import export_model
    from botsmith.serve import start_server

    prompts = {}
    bot = Chatbot.from_bot(folder.root, "best", log=lambda line: None)
    decode = lambda ids: bot.loaded.tokenizer.decode(ids)  # noqa: E731
    prompts["chat"] = decode(bot.fit(messages, bot.sampling()).prompt_ids)
    running = start_server(bot)
    try:
        httpx.post(f"{running.url}/v1/chat/completions", timeout=60,
                   json={"model": "Lamp", "messages": messages, "max_tokens": 2}).raise_for_status()
        prompts["serve"] = decode(bot.last_fit.prompt_ids)
    finally:
        running.stop()
    hf = export_model(folder.root, format="hf", out=tmp_path / "hf", log=lambda line: None)
    prompts["hf export"] = AutoTokenizer.from_pretrained(str(hf.path)).apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True)
    gguf = export_model(folder.root, format="gguf", quant="f16", out=tmp_path / "gguf", log=lambda line: None)
    reader = GGUFReader(gguf.files[0])
    field = reader.get_field("tokenizer.chat_template")
    template = bytes(field.parts[field.data[0]]).decode()
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)  # as llama-cpp-python renders it
    prompts["gguf template"] = env.from_string(template).render(messages=messages, add_generation_prompt=True,
                                                                bos_token="", eos_token="")
    prompts["ollama"] = ollama_prompt((gguf.path / "Modelfile").read_text(), messages)
    return prompts


def ollama_prompt(modelfile: str, messages: list[dict]) -> str:
    """What Ollama renders: the TEMPLATE over the messages, SYSTEM first when they bring no system message."""
    template = modelfile.split('TEMPLATE """', 1)[1].split('"""', 1)[0]
    system = modelfile.split('SYSTEM """', 1)[1].split('"""', 1)[0] if 'SYSTEM """' in modelfile else None
    turns = ([{"role": "system", "content": system}] if system else []) + messages
    return render_go(template, {"Messages": [{"Role": m["role"], "Content": m["content"]} for m in turns]})


@pytest.mark.parametrize("family, character", [("smollm2", "Tobias"), ("smollm2", None), ("gemma", None),
                                               *[(family, "Tobias") for family in FAMILIES if family != "smollm2"]])
def test_prompt_text_is_identical_in_training_and_every_runtime(tmp_path, bases, family, character):
    from botsmith.train import train

    folder = make_bot(tmp_path / "bot", bases(family), character=character)
    stats = json.loads((folder.dataset_dir / "stats.json").read_text())
    expected_system = "You are Tobias." if character else None
    assert stats["system_prompt"] == expected_system
    result = train(folder.root, log=lambda line: None)
    info = json.loads((result.best_dir / "botsmith_checkpoint.json").read_text())
    assert info["system_prompt"] == expected_system
    trained = training_prompt(folder, result.run_dir, TALK)
    if family == "smollm2":
        head = f"<|im_start|>system\n{expected_system}<|im_end|>\n" if character else ""
        assert trained == head + ("<|im_start|>user\nHello, who are you?<|im_end|>\n<|im_start|>assistant\n"
                                  "I keep the light.<|im_end|>\n<|im_start|>user\nIs it lit?<|im_end|>\n"
                                  "<|im_start|>user\nTell me.<|im_end|>\n<|im_start|>assistant\n")
    assert trained.count("You are Tobias.") == (1 if character else 0)
    if family in ("gemma", "mistral", "llama2"):
        assert "Is it lit?\nTell me." in trained  # merged: these templates need roles to alternate
    for runtime, text in runtime_prompts(folder, tmp_path, TALK).items():
        assert text == trained, runtime
        assert BASE_PERSONA not in text, runtime


def test_a_template_that_injects_a_persona_gets_its_plain_family_template():
    from botsmith.chat_format import ChatFormat, chatml, format_of_template, injected_system

    assert injected_system(PERSONA_TEMPLATE).startswith(BASE_PERSONA)
    base = format_of_template(PERSONA_TEMPLATE, eos_token="<|im_end|>")
    bot = base.with_system(None)
    assert bot == chatml() == format_of_template(CHATML_JINJA) and bot.default_system() is None
    assert bot.prompt(HELLO) == "<|im_start|>user\nHello, who are you?<|im_end|>\n<|im_start|>assistant\n"
    with_prompt = base.with_system('Say "aye" \\ then {{ nothing }} é')
    assert with_prompt.prompt(HELLO).startswith('<|im_start|>system\nSay "aye" \\ then {{ nothing }} é<|im_end|>\n')
    # a template saved with the bot's prompt in front reads back as the same format
    from types import SimpleNamespace

    from botsmith.chat_format import chat_format_for

    assert chat_format_for(SimpleNamespace(chat_template=with_prompt.jinja)) == with_prompt
    assert chatml().with_system("x").with_system(None) == chatml()


def test_changing_the_system_prompt_after_build_asks_for_a_rebuild(tmp_path, persona_base):
    from botsmith.config import save_config
    from botsmith.errors import BotsmithError
    from botsmith.train import train

    folder = make_bot(tmp_path / "bot", persona_base, character="Tobias")
    config = folder.config()
    config.bot.system_prompt = "You are a lighthouse keeper."
    save_config(folder.root, config)
    with pytest.raises(BotsmithError, match="rebuild the dataset"):
        train(folder.root, log=lambda line: None)
