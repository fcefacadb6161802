"""selfchatbot users switch without moving a file: preprocess -d ID on their own folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from botsmith.chats.selfchatbot import find_dataset, preprocess
from botsmith.config import load_config
from botsmith.errors import BotsmithError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def selfchatbot_home(tmp_path, tiny_llama, monkeypatch):
    """A selfchatbot user's working folder: .env naming the three roots, one dataset with DCE exports."""
    for variable in ("selfChatBot_raw", "selfChatBot_preprocessed", "selfChatBot_results"):
        monkeypatch.delenv(variable, raising=False)
    dataset = tmp_path / "raw" / "Dataset_7_friends"
    dataset.mkdir(parents=True)
    shutil.copy(FIXTURES / "discord_plain_crlf.txt", dataset / "Group - friends [123].txt")
    shutil.copy(FIXTURES / "discord_export.json", dataset / "Direct Messages - erin [456].json")
    (dataset / "Direct Messages - erin [456].json_Files").mkdir()
    (dataset / "Direct Messages - erin [456].json_Files" / "cat.png").write_bytes(b"\x89PNG\r\n")
    (dataset / "parameters.json").write_text(json.dumps({
        "model": str(tiny_llama), "type_fine_tune": "fine_tune", "max_length": 128,
        "preprocessor_data": {"DiscordChatExporter": {"username": "bob"}},
    }))
    (tmp_path / ".env").write_text("selfChatBot_raw=raw\nselfChatBot_preprocessed='pre'\nexport selfChatBot_results=results\n")
    return tmp_path


def test_preprocess_builds_a_bot_from_the_users_folders(selfchatbot_home):
    before = sorted(p.relative_to(selfchatbot_home / "raw") for p in (selfchatbot_home / "raw").rglob("*"))
    bot_dir = preprocess(7, cwd=selfchatbot_home, log=lambda line: None)
    assert bot_dir == selfchatbot_home / "results" / "Dataset_7_friends" / "botsmith"
    config = load_config(bot_dir)
    assert (config.bot.mode, config.bot.base_model, config.train.method, config.train.max_length, config.chats.me) == \
        ("chat", str(find_dataset(7, selfchatbot_home).parameters["model"]), "full", 128, ["bob"])
    copies = sorted(p.name for p in (bot_dir / "data" / "raw" / "chats").iterdir())
    assert copies == ["Direct Messages - erin [456].json", "Group - friends [123].txt"]  # media folder skipped
    records = [json.loads(line) for name in ("train.jsonl", "validation.jsonl")
               for line in (selfchatbot_home / "pre" / "Dataset_7_friends" / name).read_text().splitlines()]
    assistant = [m["content"] for r in records for m in r["messages"] if m["role"] == "assistant"]
    assert "yes\nstill working\n\non the thing 🙂" in assistant
    after = sorted(p.relative_to(selfchatbot_home / "raw") for p in (selfchatbot_home / "raw").rglob("*"))
    assert after == before  # nothing of the user's moved
    assert preprocess(7, cwd=selfchatbot_home, log=lambda line: None) == bot_dir  # again: an update


def test_environment_overrides_dotenv_and_errors_name_the_field(selfchatbot_home, monkeypatch):
    with pytest.raises(BotsmithError, match=r"expected one folder Dataset_8_<Name> \(found none\)"):
        find_dataset(8, selfchatbot_home)
    monkeypatch.setenv("selfChatBot_raw", str(selfchatbot_home / "nowhere"))
    with pytest.raises(BotsmithError, match="nowhere: no such folder"):
        find_dataset(7, selfchatbot_home)
    monkeypatch.delenv("selfChatBot_raw")
    parameters = selfchatbot_home / "raw" / "Dataset_7_friends" / "parameters.json"
    parameters.write_text(json.dumps({"model": "x", "type_fine_tune": "adapter"}))
    with pytest.raises(BotsmithError, match="parameters.json: field 'type_fine_tune' must be lora, qlora or fine_tune"):
        find_dataset(7, selfchatbot_home)


def test_cli_preprocess_and_play_errors(selfchatbot_home):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "botsmith", "selfchatbot", *args], capture_output=True,
                              text=True, cwd=selfchatbot_home)

    done = cli("preprocess", "-d", "7")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(selfchatbot_home / "results" / "Dataset_7_friends" / "botsmith")
    wrong = cli("play", "-d", "7", "-t", "prompt")
    assert wrong.returncode == 1 and wrong.stderr.strip() == "botsmith: error: -t prompt needs the message: -p 'hello'"
    mt = cli("play", "-d", "7", "-t", "prompt", "-p", "hi", "-mt", "newest")
    assert mt.returncode == 1 and "-mt newest: choose best or final" in mt.stderr


def test_train_and_play_use_botsmiths_own_pipeline(selfchatbot_home):
    from botsmith.chats.selfchatbot import load_chatbot, train

    result = train(7, cwd=selfchatbot_home, log=lambda line: None)  # preprocesses first
    assert result.run_dir.parent == selfchatbot_home / "results" / "Dataset_7_friends" / "botsmith" / "runs"
    assert result.final_dir.is_dir() and result.steps >= 1
    bot = load_chatbot(7, "final", cwd=selfchatbot_home)
    assert isinstance(bot.reply([{"role": "user", "content": "hi"}], max_new_tokens=4, seed=0), str)
    play = subprocess.run([sys.executable, "-m", "botsmith", "selfchatbot", "play", "-d", "7", "-t", "prompt",
                           "-p", "hello", "-mt", "best"], capture_output=True, text=True, cwd=selfchatbot_home)
    assert play.returncode == 0 and "Traceback" not in play.stderr
