"""One system prompt from dataset to every runtime: the prompt text is byte-identical everywhere.

The base here is a tiny Llama whose chat template injects a persona of its own when a
conversation has no system message, as SmolLM2's does ("You are a helpful AI assistant
named SmolLM..."). A trained bot must never see that persona: not in training, chat,
serve, the HF export, the GGUF's template, nor the Ollama Modelfile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from botsmith.chat_format import CHATML_JINJA, CHATML_OLLAMA

BASE_PERSONA = "You are a helpful AI assistant named Tiny"
PERSONA_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\n" + BASE_PERSONA + "<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
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


@pytest.fixture(scope="module")
def persona_base(tmp_path_factory, tiny_llama) -> Path:
    """The tiny Llama with a template that injects its own persona."""
    import shutil

    folder = tmp_path_factory.mktemp("persona-base")
    shutil.copytree(tiny_llama, folder, dirs_exist_ok=True)
    (folder / "chat_template.jinja").write_text(PERSONA_TEMPLATE)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


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


def training_prompt(folder, run_dir: Path) -> str:
    """The text training put before the assistant's reply to HELLO, from the run's own setup."""
    from botsmith.train.data import IGNORE, Tokenizer
    from botsmith.models import load_checkpoint

    loaded = load_checkpoint(run_dir / "best")
    tokenizer = Tokenizer(loaded.tokenizer, loaded.chat_format, max_length=512)
    example = tokenizer.example({"messages": [*HELLO, {"role": "assistant", "content": "I keep the light."}]})
    first_target = next(i for i, label in enumerate(example.labels) if label != IGNORE)
    return loaded.tokenizer.decode(example.input_ids[:first_target])


def runtime_prompts(folder, tmp_path: Path) -> dict[str, str]:
    """The prompt text each runtime sends for HELLO."""
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
    prompts["chat"] = decode(bot.fit(HELLO, bot.sampling()).prompt_ids)
    running = start_server(bot)
    try:
        httpx.post(f"{running.url}/v1/chat/completions", timeout=60,
                   json={"model": "Lamp", "messages": HELLO, "max_tokens": 2}).raise_for_status()
        prompts["serve"] = decode(bot.last_fit.prompt_ids)
    finally:
        running.stop()
    hf = export_model(folder.root, format="hf", out=tmp_path / "hf", log=lambda line: None)
    prompts["hf export"] = AutoTokenizer.from_pretrained(str(hf.path)).apply_chat_template(
        HELLO, tokenize=False, add_generation_prompt=True)
    gguf = export_model(folder.root, format="gguf", quant="f16", out=tmp_path / "gguf", log=lambda line: None)
    reader = GGUFReader(gguf.files[0])
    field = reader.get_field("tokenizer.chat_template")
    template = bytes(field.parts[field.data[0]]).decode()
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)  # as llama-cpp-python renders it
    prompts["gguf template"] = env.from_string(template).render(messages=HELLO, add_generation_prompt=True,
                                                                bos_token="", eos_token="<|im_end|>")
    prompts["ollama"] = ollama_prompt((gguf.path / "Modelfile").read_text(), HELLO)
    return prompts


def ollama_prompt(modelfile: str, messages: list[dict]) -> str:
    """What Ollama renders: its ChatML TEMPLATE over SYSTEM (when given) and the messages."""
    template = modelfile.split('TEMPLATE """', 1)[1].split('"""', 1)[0]
    assert template == CHATML_OLLAMA  # the only template this rendering stands for
    system = modelfile.split('SYSTEM """', 1)[1].split('"""', 1)[0] if 'SYSTEM """' in modelfile else None
    turns = ([{"role": "system", "content": system}] if system else []) + messages
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in turns) + "<|im_start|>assistant\n"


@pytest.mark.parametrize("character", ["Tobias", None], ids=["character bot", "no system prompt"])
def test_prompt_text_is_identical_in_training_and_every_runtime(tmp_path, persona_base, character):
    from botsmith.train import train

    folder = make_bot(tmp_path / "bot", persona_base, character=character)
    stats = json.loads((folder.dataset_dir / "stats.json").read_text())
    expected_system = "You are Tobias." if character else None
    assert stats["system_prompt"] == expected_system
    result = train(folder.root, log=lambda line: None)
    info = json.loads((result.best_dir / "botsmith_checkpoint.json").read_text())
    assert info["system_prompt"] == expected_system
    trained = training_prompt(folder, result.run_dir)
    head = f"<|im_start|>system\n{expected_system}<|im_end|>\n" if character else ""
    assert trained == head + "<|im_start|>user\nHello, who are you?<|im_end|>\n<|im_start|>assistant\n"
    for runtime, text in runtime_prompts(folder, tmp_path).items():
        assert text == trained, runtime
        assert BASE_PERSONA not in text, runtime


def test_a_template_that_injects_a_persona_gets_its_plain_family_template():
    from botsmith.chat_format import ChatFormat, chatml

    base = ChatFormat("chatml", PERSONA_TEMPLATE, ("<|im_end|>",))
    assert base.default_system() == BASE_PERSONA
    bot = base.with_system(None)
    assert bot.template == CHATML_JINJA and bot.default_system() is None
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
