"""[bot] chat_template: a style by name or a Jinja file replaces the base model's own template everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chat_styles.test_styles import ORIGINAL


def chat_bot(root: Path, base: Path, chat_template: str):
    from botsmith.bot_folder import new_bot
    from botsmith.config import save_config

    folder = new_bot(root, mode="chat", base_model=str(base), name="Lamp")
    rows = [{"messages": [{"role": "user", "content": f"how is the lamp {i}"},
                          {"role": "assistant", "content": f"bright as ever {i}"}]} for i in range(12)]
    (folder.root / "data" / "raw" / "chats").mkdir(parents=True)
    (folder.root / "data" / "raw" / "chats" / "chat.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = folder.config().with_overrides("bot", chat_template=chat_template)
    config = config.with_overrides("train", max_steps=2, batch_size=2, eval_every=2, max_length=64, sample_tokens=2,
                                   threads=1, eval_at_end=False)
    save_config(folder.root, config)
    return folder


def test_a_named_style_on_a_base_without_its_markers(tmp_path, tiny_gpt2):
    from botsmith.chat import Chatbot
    from botsmith.dataset import build_dataset
    from botsmith.train import train

    folder = chat_bot(tmp_path / "bot", tiny_gpt2, "gemma")
    build_dataset(folder.root, log=lambda line: None)
    result = train(folder.root, log=lambda line: None)
    bot = Chatbot.from_bot(folder.root, "best", log=lambda line: None)
    assert bot.chat_format.family == "gemma" and bot.chat_format.stop == ("<end_of_turn>",)
    tokenizer = bot.loaded.tokenizer
    assert len(tokenizer.encode("<start_of_turn>", add_special_tokens=False)) == 1  # added as one token
    prompt = tokenizer.decode(bot.fit([{"role": "user", "content": "hi"}], bot.sampling()).prompt_ids)
    assert prompt == "<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n"
    assert result.steps == 2


def test_a_jinja_file_in_the_bot_folder(tmp_path, tiny_llama):
    from botsmith.dataset import build_dataset
    from botsmith.models import load_checkpoint
    from botsmith.train import train

    folder = chat_bot(tmp_path / "bot", tiny_llama, "mistral.jinja")
    (folder.root / "mistral.jinja").write_text(ORIGINAL["mistral"])
    build_dataset(folder.root, log=lambda line: None)
    result = train(folder.root, log=lambda line: None)
    style = load_checkpoint(result.best_dir).chat_format.style
    # Mistral's turns, ended by this tokenizer's own EOS (the template writes eos_token)
    assert style.user == ("[INST] ", " [/INST]") and style.assistant == ("", "<|im_end|>") and style.alternate


def test_an_unknown_template_names_the_field(tmp_path, tiny_llama):
    from botsmith.dataset import build_dataset
    from botsmith.errors import ConfigError

    folder = chat_bot(tmp_path / "bot", tiny_llama, "alpaca")
    with pytest.raises(ConfigError, match=r"\[bot\] chat_template = 'alpaca': neither a template name nor a Jinja"):
        build_dataset(folder.root, log=lambda line: None)
