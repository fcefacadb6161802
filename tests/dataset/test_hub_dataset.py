"""Training on a dataset from the Hub: `botsmith train --dataset you/oz-fragments`, `botsmith add hub-dataset`.

The Hub is a fake of its HTTP API on 127.0.0.1 (tests/models/fake_hub.py) serving dataset repos
laid out as `botsmith push-dataset` makes them; the CLI runs in fresh processes with HF_ENDPOINT.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.chat_styles.test_override import chat_bot
from tests.models.fake_hub import FakeHub

SRC = Path(__file__).resolve().parents[2] / "src"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "botsmith", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_train_on_a_hub_dataset_and_offline_errors(tmp_path, tiny_llama):
    from botsmith.dataset import build_dataset

    source = chat_bot(tmp_path / "source", tiny_llama, "")
    build_dataset(source.root, log=lambda line: None)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "train.jsonl").write_text('{"messages": "not a list"}\n')
    bot = chat_bot(tmp_path / "bot", tiny_llama, "")  # no dataset of its own yet
    env = {key: value for key, value in os.environ.items() if not key.startswith("HF_")}
    env.update(PYTHONPATH=str(SRC), HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="0")
    with FakeHub() as hub:
        hub.add_folder("you/oz-fragments", source.dataset_dir, kind="datasets")
        hub.add_folder("you/broken", broken, kind="datasets")
        env["HF_ENDPOINT"] = hub.url
        trained = cli("train", str(bot.root), "--dataset", "you/oz-fragments", "--max-steps", "1", "--no-eval", env=env)
        assert trained.returncode == 0, trained.stderr
        assert "Dataset you/oz-fragments: " in trained.stderr
        for name in ("train.jsonl", "validation.jsonl", "stats.json"):
            assert (bot.dataset_dir / name).read_bytes() == (source.dataset_dir / name).read_bytes()
        assert json.loads((bot.dataset_dir / "hub_source.json").read_text())["hub_dataset"] == "you/oz-fragments"
        assert (Path(trained.stdout.strip()) / "adapter_config.json").is_file()
        bad = cli("add", "hub-dataset", "you/broken", "--bot", str(bot.root), env=env)
        assert bad.returncode != 0 and "train.jsonl line 1" in bad.stderr and "Traceback" not in bad.stderr
        assert (bot.dataset_dir / "train.jsonl").read_bytes() == (source.dataset_dir / "train.jsonl").read_bytes()
        missing = cli("add", "hub-dataset", "you/nothing", "--bot", str(bot.root), env=env)
        assert missing.returncode != 0 and "no dataset you/nothing on the Hugging Face Hub" in missing.stderr
    offline = {**env, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "empty-cache")}
    other = chat_bot(tmp_path / "other", tiny_llama, "")
    refused = cli("train", str(other.root), "--dataset", "you/oz-fragments", env=offline)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("botsmith: error: the Hub dataset you/oz-fragments is "
                                                               "not in the Hugging Face cache and HF_HUB_OFFLINE is set")
    assert not (other.dataset_dir / "train.jsonl").exists()
    misnamed = cli("train", str(other.root), "--dataset", "bad name!", env=offline)
    assert misnamed.returncode != 0 and "Traceback" not in misnamed.stderr
    assert misnamed.stderr.strip().splitlines()[-1].startswith("botsmith: error: 'bad name!' is not a Hub dataset id")
    cached = cli("add", "hub-dataset", "you/oz-fragments", "--bot", str(other.root),
                 env={**offline, "HF_HOME": str(tmp_path / "hf")})  # fetched once: offline from the cache
    assert cached.returncode == 0, cached.stderr
