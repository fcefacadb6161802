"""`botsmith serve` as a user runs it: a subprocess, a real port, an API key, Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY, session_parrot


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_command_with_api_key_then_ctrl_c(tmp_path, tmp_path_factory, monkeypatch):
    from botsmith.bot_folder import new_bot

    bot = new_bot(tmp_path / "parrot", mode="chat", base_model=str(session_parrot(tmp_path_factory)), name="parrot")
    port, key = free_port(), "very-secret-key-123"
    monkeypatch.setenv("PARROT_KEY", key)
    config = bot.config_file.read_text().replace('api_key_env = "BOTSMITH_API_KEY"', 'api_key_env = "PARROT_KEY"')
    bot.config_file.write_text(config)
    process = subprocess.Popen([sys.executable, "-m", "botsmith", "serve", str(bot.root), "--port", str(port), "-t", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        body = {"model": "parrot", "messages": [{"role": "user", "content": PARROT_PROMPT}]}
        assert httpx.post(f"{url}/v1/chat/completions", json=body).status_code == 401
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        assert answer.json()["choices"][0]["message"]["content"] == PARROT_REPLY
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode in (0, 130)
    assert f"Serving parrot at http://127.0.0.1:{port}/" in output and "must send the API key" in output
    assert key not in output and "Traceback" not in output


def test_a_key_on_the_command_line_is_warned_about(tmp_path):
    from typer.testing import CliRunner

    from botsmith.cli import app

    result = CliRunner().invoke(app, ["serve", str(tmp_path / "no-bot"), "--api-key", "visible-in-ps"])
    assert result.exit_code != 0
    assert "warning: --api-key shows the key to every user of this machine" in result.stderr
    assert "BOTSMITH_API_KEY" in result.stderr and "visible-in-ps" not in result.output + result.stderr
