"""selfchatbot's own sample, as its README gives it: Dataset_001_Discord_Data with "model": "gpt2-large".

gpt2-large comes from a fake of the Hugging Face Hub on 127.0.0.1 (tests/models/fake_hub.py),
which redirects the legacy bare name to openai-community/gpt2-large as the Hub does; the
weights it serves are a tiny random GPT-2 with gpt2-large's context length. The commands are
selfchatbot's own names (selfChatBot_preprocess, _train, _play, installed by pyproject.toml),
run in fresh processes; play runs offline, from the Hugging Face cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chats.test_selfchatbot import FIXTURES
from tests.conftest import TINY_TOKENIZER
from tests.models.fake_hub import FakeHub

SRC = Path(__file__).resolve().parents[2] / "src"


def tiny_gpt2_large(folder: Path) -> Path:
    """A random 2-layer GPT-2 with gpt2-large's 1024 positions and the test tokenizer (no chat template)."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    tokenizer = AutoTokenizer.from_pretrained(str(TINY_TOKENIZER))
    tokenizer.chat_template = None
    tokenizer.eos_token = tokenizer.bos_token = "<|endoftext|>"
    torch.manual_seed(0)
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=4, n_positions=1024,
                               bos_token_id=end, eos_token_id=end)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def script(name: str, home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """selfchatbot's command `name` (an entry point of pyproject.toml), run as its installed script would be."""
    entry = {"selfChatBot_preprocess": "selfchatbot_preprocess", "selfChatBot_train": "selfchatbot_train",
             "selfChatBot_play": "selfchatbot_play"}[name]
    code = f"import sys; sys.argv = [{name!r}, *sys.argv[1:]]; from botsmith.cli.chats import {entry}; {entry}()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=home, env=env,
                          timeout=600)


def test_pyproject_installs_selfchatbots_commands():
    import tomllib

    scripts = tomllib.loads((SRC.parent / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["selfChatBot_preprocess"] == "botsmith.cli.chats:selfchatbot_preprocess"
    assert scripts["selfChatBot_train"] == "botsmith.cli.chats:selfchatbot_train"
    assert scripts["selfChatBot_play"] == "botsmith.cli.chats:selfchatbot_play"


def test_the_readme_sample_preprocesses_trains_and_plays(tmp_path):
    dataset = tmp_path / "raw" / "Dataset_001_Discord_Data"
    dataset.mkdir(parents=True)
    shutil.copy(FIXTURES / "selfchatbot_sample_parameters.json", dataset / "parameters.json")
    shutil.copy(FIXTURES / "discord_plain_crlf.txt", dataset / "Group - friends [123].txt")
    shutil.copy(FIXTURES / "discord_export.json", dataset / "Direct Messages - erin [456].json")
    (tmp_path / ".env").write_text("selfChatBot_raw=raw\nselfChatBot_preprocessed=pre\nselfChatBot_results=results\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("selfChatBot_", "HF_"))}
    env.update(PYTHONPATH=str(SRC), HF_HOME=str(tmp_path / "hf"), BOTSMITH_HOME=str(tmp_path / "botsmith-home"))
    with FakeHub() as hub:
        hub.add_folder("openai-community/gpt2-large", tiny_gpt2_large(tmp_path / "served"), legacy_name="gpt2-large")
        online = {**env, "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0"}
        done = script("selfChatBot_preprocess", tmp_path, online, "-d", "1")  # -d 1 finds Dataset_001_...
        assert done.returncode == 0, done.stderr
        assert any("/api/models/openai-community/gpt2-large" in request for request in hub.requests), (hub.requests, done.stderr)
    bot_dir = tmp_path / "results" / "Dataset_001_Discord_Data" / "botsmith"
    assert done.stdout.strip() == str(bot_dir)
    config = (bot_dir / "botsmith.toml").read_text()
    assert 'base_model = "gpt2-large"' in config and "max_length = 1024" in config and 'method = "lora"' in config
    assert (tmp_path / "pre" / "Dataset_001_Discord_Data" / "train.jsonl").is_file()
    offline = {**env, "HF_HUB_OFFLINE": "1"}  # from here on the Hub is gone: the model is in the HF cache
    trained = script("selfChatBot_train", tmp_path, offline, "-d", "1")
    assert trained.returncode == 0, trained.stderr
    assert (Path(trained.stdout.strip()) / "best" / "adapter_config.json").is_file()
    played = script("selfChatBot_play", tmp_path, offline, "-d", "1", "-t", "prompt", "-p", "hey", "-mt", "best")
    assert played.returncode == 0 and "Traceback" not in played.stderr, played.stderr


def test_ids_as_numbers_comments_defaults_and_every_exporters_username(tmp_path, monkeypatch):
    from botsmith.chats.selfchatbot import find_dataset, usernames_of

    for variable in ("selfChatBot_raw", "selfChatBot_preprocessed", "selfChatBot_results"):
        monkeypatch.delenv(variable, raising=False)
    folder = tmp_path / "raw" / "Dataset_003_Family"
    folder.mkdir(parents=True)
    (folder / "parameters.json").write_text("// my family chat\n" + json.dumps({
        "model": "gpt2", "type_fine_tune": "finetune",
        "preprocessor_data": {"DiscordChatExporter": {"username": "bob"}, "WhatsApp": {"username": "Ana"},
                              "Telegram": {"username": "bob"}}}))
    (tmp_path / ".env").write_text("selfChatBot_raw=raw\n")
    found = find_dataset("3", tmp_path)
    assert found.name == "Dataset_003_Family" and find_dataset("003", tmp_path).name == found.name
    assert found.parameters["max_length"] == 1024 and found.parameters["type_fine_tune"] == "finetune"
    assert usernames_of(found.parameters) == ["bob", "Ana"]
