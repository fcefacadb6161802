"""The foundation: config validation, bot folders, model resolution, chat format, CLI errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from botsmith.bot_folder import new_bot, open_bot
from botsmith.chat_format import chat_format_for, chatml
from botsmith.config import load_config
from botsmith.errors import BotsmithError, ConfigError
from botsmith.models import load_base, resolve_model


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "botsmith", *args], capture_output=True, text=True, cwd=cwd)


def test_new_bot_writes_documented_config(tmp_path):
    folder = new_bot(tmp_path / "austen", mode="dialogue")
    config = load_config(folder.root)
    assert config.bot.name == "austen" and config.bot.mode == "dialogue"
    assert all(path.is_dir() for path in (folder.raw_dir, folder.clean_dir, folder.runs_dir, folder.exports_dir))
    assert "# Peak learning rate." in folder.config_file.read_text()


def test_new_bot_never_overwrites(tmp_path):
    new_bot(tmp_path / "b")
    with pytest.raises(BotsmithError, match="already exists"):
        new_bot(tmp_path / "b")


@pytest.mark.parametrize(
    "body, message",
    [
        ('[bot]\nname = "x"\ncolour = "red"\n', r"\[bot\] colour: unknown key"),
        ('[bot]\nname = "x"\n[train]\nlearning_rate = "fast"\n', r"\[train\] learning_rate: .*'fast'"),
        ('[bot]\nname = "x"\nmode = "poetry"\n', r"\[bot\] mode"),
        ("[train]\nepochs = 1\n", r"\[bot\]: Field required"),
        ("[bot\nname=1", "invalid TOML"),
    ],
)
def test_config_errors_name_the_file_and_key(tmp_path, body, message):
    (tmp_path / "botsmith.toml").write_text(body)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(tmp_path)
    assert str(tmp_path / "botsmith.toml") in str(caught.value)


def test_overrides_are_validated(tmp_path):
    config = load_config(new_bot(tmp_path / "b").root)
    assert config.with_overrides("train", max_steps=3, method=None).train.max_steps == 3
    with pytest.raises(ConfigError, match=r"command-line options for \[train\]: \[train\] batch_size"):
        config.with_overrides("train", batch_size=0)


def test_cli_errors_are_one_line(tmp_path):
    result = run_cli("models", "pull", "no-such-model")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "botsmith: error: unknown model alias 'no-such-model' (known aliases: smollm2-135m)"
    ]
    missing = run_cli("new", str(tmp_path / "x"), "--mode", "opera")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "[bot] mode" in missing.stderr


def test_cli_version_and_help():
    assert run_cli("--version").stdout.strip().startswith("botsmith ")
    assert "new" in run_cli("--help").stdout


def test_open_bot_reports_missing_config(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        open_bot(tmp_path)


def test_resolve_local_folder_and_errors(tiny_llama, tmp_path):
    assert resolve_model(str(tiny_llama)) == tiny_llama
    with pytest.raises(BotsmithError, match="unknown base model 'nonsense'.*smollm2-135m"):
        resolve_model("nonsense")
    with pytest.raises(BotsmithError, match="HF_HUB_OFFLINE.*smollm2-135m"):
        resolve_model("someone/some-model")
    with pytest.raises(BotsmithError, match="not a model folder"):
        resolve_model(str(tmp_path))


def test_load_llama_and_gpt2_bases(tiny_llama, tiny_gpt2):
    llama = load_base(str(tiny_llama), dtype="float32")
    assert llama.chat_format.family == "chatml"
    gpt2 = load_base(str(tiny_gpt2), dtype="float32")
    # GPT-2 has no template: ChatML is installed and its end marker is one token.
    assert gpt2.chat_format.family == "chatml"
    assert len(gpt2.tokenizer.encode("<|im_end|>", add_special_tokens=False)) == 1
    assert gpt2.model.get_input_embeddings().weight.shape[0] >= len(gpt2.tokenizer)


def test_chat_segments_train_only_on_assistant_turns():
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Hi", "name": "Ann"},
        {"role": "assistant", "content": "Hello"},
    ]
    segments = chatml().segments(messages)
    trained = "".join(s.text for s in segments if s.trainable)
    assert trained == "Hello<|im_end|>\n"
    assert "".join(s.text for s in segments) == chatml().render(messages, add_generation_prompt=False)
    assert "Ann: Hi" in segments[0].text and not segments[0].trainable


@pytest.mark.parametrize("turn, message", [
    ({"role": "user", "content": "Hi", "rejected": ["Yo"]}, r"messages\[0\]\.rejected: only an assistant turn"),
    ({"role": "assistant", "content": "Hi", "rejected": "Yo"}, r"messages\[0\]\.rejected: must be a list of non-empty"),
    ({"role": "assistant", "content": "Hi", "rejected": ["Yo", ""]}, r"messages\[0\]\.rejected: must be a list of non-empty"),
    ({"role": "assistant", "content": "Hi", "rejected": ["Hi"]}, r"messages\[0\]\.rejected: the turn.s own content is among"),
])
def test_rejected_replies_are_validated(turn, message):
    from botsmith.records import validate_record

    assert validate_record({"messages": [{"role": "assistant", "content": "Hi", "rejected": ["Yo"]}]}, "x")
    with pytest.raises(BotsmithError, match=r"^train.jsonl line 3: " + message):
        validate_record({"messages": [turn]}, "train.jsonl line 3")


def test_base_models_own_template_is_used(tiny_llama):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_llama))
    tokenizer.chat_template = tokenizer.chat_template.replace("<|im_start|>' + message['role']", "<|im_start|>' + message['role'] + ' '")
    fmt = chat_format_for(tokenizer)
    assert fmt.prompt([{"role": "user", "content": "x"}]).startswith("<|im_start|>user \nx")


def test_public_api_names_resolve_whatever_was_imported_first():
    import importlib

    import botsmith

    importlib.import_module("botsmith.train")
    importlib.import_module("botsmith.serve")
    from botsmith.serve import serve as serve_function
    from botsmith.train import train as train_function

    assert callable(botsmith.train) and callable(botsmith.serve)
    with pytest.raises(ConfigError, match="no such file"):
        botsmith.train("/nonexistent/bot")
    assert botsmith.build_dataset.__module__.startswith("botsmith.dataset")
    for name in botsmith._API:  # every advertised name exists
        assert getattr(botsmith, name) is not None, name
    assert train_function.__name__ == "train" and serve_function.__name__ == "serve"
