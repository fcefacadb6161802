"""Hub push against a local server that implements the endpoints huggingface_hub's upload uses.

The real huggingface_hub client does the talking (create_repo, YAML check, preupload,
commit); the server answers like the Hub for small files ("regular" upload mode, content
inline in the commit) and records what it received.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from botsmith.errors import BotsmithError
from botsmith.export import push_dataset, push_model

TOKEN = "hf_test_secret_token_123456"


class FakeHub(BaseHTTPRequestHandler):
    # set per server: {"repos": [...], "files": {repo: {path: bytes}}, "auth": set(), "private": {repo: bool}}
    received: dict

    def log_message(self, *args) -> None:
        pass

    def _reply(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received["auth"].add(self.headers.get("Authorization", ""))
        parts = self.path.split("?")[0].strip("/").split("/")
        if self.path.startswith("/api/repos/create"):
            request = json.loads(body)
            self.received["repos"].append(request)
            name = f"{request.get('organization') or 'user'}/{request['name']}"
            key = f"{request.get('type') or 'model'}s:{name}"
            prefix = {"dataset": "datasets/", "space": "spaces/"}.get(request.get("type") or "model", "")
            reply = {"url": f"http://{self.headers['Host']}/{prefix}{name}", "name": name}  # as the Hub does
            if key in self.received["private"]:  # as the Hub: 409, and the repo keeps its visibility
                return self._reply({**reply, "error": "You already created this repo"}, 409)
            self.received["private"][key] = request.get("visibility") == "private" or bool(request.get("private"))
            return self._reply(reply)
        if self.path.startswith("/api/validate-yaml"):
            return self._reply({"errors": [], "warnings": []})
        if len(parts) >= 6 and parts[4] == "preupload":
            files = json.loads(body)["files"]
            return self._reply({"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                          for f in files]})
        if len(parts) >= 6 and parts[4] == "commit":
            repo = f"{parts[1]}:{parts[2]}/{parts[3]}"
            stored = self.received["files"].setdefault(repo, {})
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "file":
                    stored[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            return self._reply({"commitUrl": f"http://{self.headers['Host']}/{parts[2]}/{parts[3]}/commit/{'a' * 40}",
                                "commitOid": "a" * 40, "success": True})
        self._reply({"error": f"not implemented: {self.path}"}, 404)

    def do_GET(self) -> None:  # repo_info: /api/{models,datasets}/user/name
        parts = self.path.split("?")[0].strip("/").split("/")
        key = f"{parts[1]}:{parts[2]}/{parts[3]}" if len(parts) >= 4 and parts[0] == "api" else ""
        if key not in self.received["private"]:
            return self._reply({"error": "Repository not found"}, 404)
        self._reply({"id": key.split(":", 1)[1], "private": self.received["private"][key], "sha": "a" * 40})


@pytest.fixture
def hub(monkeypatch):
    received = {"repos": [], "files": {}, "auth": set(), "private": {}}
    handler = type("Handler", (FakeHub,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    # huggingface_hub reads HF_HUB_OFFLINE once, at import (the autouse fixture had it set then)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    yield received
    server.shutdown()


def collected(capsys) -> str:
    out = capsys.readouterr()
    return out.out + out.err


def test_push_model_with_gguf(hub, llama_bot, capsys):
    url = push_model(llama_bot, repo="ahab/captain-bot", private=True, gguf=True, quant="q8_0")
    assert "ahab/captain-bot" in url
    assert hub["repos"][0].get("visibility", "private" if hub["repos"][0].get("private") else "") == "private" and hub["repos"][0]["name"] == "captain-bot"
    files = hub["files"]["models:ahab/captain-bot"]
    for name in ("model.safetensors", "config.json", "tokenizer.json", "README.md", "template", "params", "system"):
        assert name in files, name
    assert any(name.endswith("-q8_0.gguf") and data[:4] == b"GGUF" for name, data in files.items())
    assert b"<|im_start|>" in files["template"]
    assert json.loads(files["params"])["stop"] == ["<|im_end|>"]
    assert b"ollama run hf.co/ahab/captain-bot" in files["README.md"]
    assert hub["auth"] == {f"Bearer {TOKEN}"}
    # the token goes to the Hub and nowhere else: not printed, not in the bot folder
    assert TOKEN not in collected(capsys)
    assert not any(TOKEN.encode() in path.read_bytes() for path in llama_bot.rglob("*") if path.is_file())


def test_push_dataset_with_card(hub, tiny_llama, tmp_path):
    from tests.export.conftest import make_trained_bot

    bot = make_trained_bot(tmp_path / "data-bot", tiny_llama, "llama")
    dataset = bot / "data" / "dataset"
    (dataset / "train.jsonl").write_text('{"text": "Call me Ishmael."}\n')
    (dataset / "validation.jsonl").write_text('{"text": "Some years ago."}\n')
    (dataset / "stats.json").write_text(json.dumps({"train_records": 1}))
    push_dataset(bot, repo="ahab/whale-data")
    files = hub["files"]["datasets:ahab/whale-data"]
    assert files["train.jsonl"] == b'{"text": "Call me Ishmael."}\n'
    card = files["README.md"].decode()
    assert "split: train" in card and "path: validation.jsonl" in card and "train records: 1" in card


def dataset_bot(root, base, mode: str):
    from botsmith.bot_folder import new_bot

    folder = new_bot(root, mode=mode, base_model=str(base))
    (folder.dataset_dir / "train.jsonl").write_text('{"messages": [{"role": "user", "content": "see you at 8?"}]}\n')
    return folder.root


def test_a_chat_dataset_is_private_unless_public_is_asked(hub, tiny_llama, tmp_path):
    lines = []
    push_dataset(dataset_bot(tmp_path / "chat", tiny_llama, "chat"), repo="ahab/chats", log=lines.append)
    assert hub["private"]["datasets:ahab/chats"] is True
    assert "the repo will be private (pass --public to publish it)" in lines[0]
    push_dataset(dataset_bot(tmp_path / "chat2", tiny_llama, "chat"), repo="ahab/open-chats", private=False)
    assert hub["private"]["datasets:ahab/open-chats"] is False
    push_dataset(dataset_bot(tmp_path / "book", tiny_llama, "completion"), repo="ahab/book")
    assert hub["private"]["datasets:ahab/book"] is False


def test_a_private_push_never_lands_in_an_existing_public_repo(hub, tiny_llama, tmp_path):
    push_dataset(dataset_bot(tmp_path / "book", tiny_llama, "completion"), repo="ahab/data")
    committed = dict(hub["files"]["datasets:ahab/data"])
    with pytest.raises(BotsmithError, match="ahab/data already exists and is public; nothing was uploaded"):
        push_dataset(dataset_bot(tmp_path / "chat", tiny_llama, "chat"), repo="ahab/data")
    assert hub["files"]["datasets:ahab/data"] == committed


def test_push_dataset_command_takes_public(hub, tiny_llama, tmp_path):
    import subprocess
    import sys

    bot = dataset_bot(tmp_path / "chat", tiny_llama, "chat")
    result = subprocess.run([sys.executable, "-m", "botsmith", "push-dataset", str(bot), "--repo", "ahab/pub",
                             "--public"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert hub["private"]["datasets:ahab/pub"] is False and "public dataset repo ahab/pub" in result.stderr


def test_offline_push_is_one_clear_line(llama_bot, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BotsmithError, match="HF_HUB_OFFLINE"):
        push_model(llama_bot, repo="ahab/captain-bot")


def test_unreachable_hub(llama_bot, monkeypatch, capsys):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(BotsmithError) as error:
        push_model(llama_bot, repo="ahab/captain-bot")
    message = str(error.value)
    assert "could not upload" in message and "\n" not in message and TOKEN not in message


def test_no_token(llama_bot, monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored login either
    with pytest.raises(BotsmithError, match="HF_TOKEN"):
        push_model(llama_bot, repo="ahab/captain-bot")


def test_bad_repo_id(llama_bot):
    with pytest.raises(BotsmithError, match="user/name"):
        push_model(llama_bot, repo="not a repo")
