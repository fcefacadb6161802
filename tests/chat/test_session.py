"""The terminal session and the chat / complete commands, driven through pipes."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from botsmith.chat.session import NO_REPLY, ChatSession
from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY


def run_session(bot, lines: str) -> tuple[ChatSession, str, str]:
    out, err = io.StringIO(), io.StringIO()
    session = ChatSession(bot, sampling={"temperature": 0.0}, stdin=io.StringIO(lines), stdout=out, stderr=err)
    session.run()
    return session, out.getvalue(), err.getvalue()


def test_session_replies_and_handles_commands(parrot_bot, tmp_path):
    script = (f"{PARROT_PROMPT}\n\n   \n/temp 0\n/temp hot\n/system Be a parrot.\n/save {tmp_path / 'talk.json'}\n"
              f"/save {tmp_path / 'talk.md'}\n/nonsense\n/reset\n/system\n{PARROT_PROMPT}\n/quit\nnever read\n")
    session, out, err = run_session(parrot_bot, script)
    assert out.count(PARROT_REPLY) == 2 and NO_REPLY not in err
    assert "/temp needs a number" in err and "System prompt removed" in err and "unknown command /nonsense" in err and "Conversation forgotten" in err
    saved = json.loads((tmp_path / "talk.json").read_text())
    assert saved["messages"] == [{"role": "system", "content": "Be a parrot."},
                                 {"role": "user", "content": PARROT_PROMPT},
                                 {"role": "assistant", "content": PARROT_REPLY}]
    assert f"parrot: {PARROT_REPLY}" in (tmp_path / "talk.md").read_text()
    assert len(session.messages) == 2  # after /reset, one more exchange; "never read" came after /quit


def test_a_reply_that_ends_before_a_word_is_said_so(mute_parrot, tmp_path, capsys):
    from botsmith.bot_folder import new_bot
    from botsmith.chat import Chatbot
    from botsmith.models import load_base

    bot = Chatbot(load_base(str(mute_parrot), log=lambda line: None), name="mute", log=lambda line: None)
    session, out, err = run_session(bot, f"{PARROT_PROMPT}\n")
    assert out == "\n\n" and f"{NO_REPLY}: say it again, or raise /temp" in err
    assert session.messages == []  # the exchange is left out: asked again, the bot starts afresh
    folder = new_bot(tmp_path / "mute", mode="chat", base_model=str(mute_parrot), name="mute").root
    code, out, err = main(capsys, "chat", str(folder), "--prompt", PARROT_PROMPT)  # sampled, as a user runs it
    assert code == 0 and out == "\n" and NO_REPLY in err.strip().splitlines()[-1]
    code, out, err = main(capsys, "chat", str(folder), "--prompt", PARROT_PROMPT, "--json")  # the JSON says it
    assert code == 0 and json.loads(out)["reply"] == "" and NO_REPLY not in err


def test_ctrl_c_during_a_reply_stops_only_the_reply(parrot_bot):
    class InterruptOnce(io.StringIO):
        fired = False

        def write(self, text: str) -> int:
            if text.strip() and not self.fired:
                InterruptOnce.fired = True
                raise KeyboardInterrupt  # what the terminal does when Ctrl-C lands mid-reply
            return super().write(text)

    out, err = InterruptOnce(), io.StringIO()
    session = ChatSession(parrot_bot, sampling={"temperature": 0.0}, stdin=io.StringIO(f"{PARROT_PROMPT}\n{PARROT_PROMPT}\n"),
                          stdout=out, stderr=err)
    session.run()
    assert "[reply stopped]" in err.getvalue()
    assert [m["role"] for m in session.messages] == ["user", "assistant", "user", "assistant"]
    # The cut reply stays in the conversation as far as it went, and the next reply answers all of it (what
    # the model says after a cut reply is its own: a different torch's rounding can change it).
    cut, second = session.messages[1]["content"], session.messages[3]["content"]
    assert cut and PARROT_REPLY.startswith(cut) and cut != PARROT_REPLY
    assert second == parrot_bot.reply(session.messages[:3], temperature=0.0)
    assert out.getvalue().strip() == second


def botsmith(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "botsmith", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_cli_chat_survives_empty_lines_and_a_pasted_megabyte(bot_dir):
    paste = "word " * 200_000
    result = botsmith("chat", str(bot_dir), "-t", "0", "-m", "8", stdin=f"\n{paste}\n{PARROT_PROMPT}\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "no trained checkpoint yet" in result.stderr and "characters cut" in result.stderr
    assert "Hello there" in result.stdout


def main(capsys, *args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """The CLI in this process (fast: no interpreter start), as `botsmith ARGS` would run it."""
    from botsmith.cli import main as cli_main

    code = 0
    previous = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        cli_main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    finally:
        os.chdir(previous)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_one_shot_prompt_and_json(bot_dir, capsys):
    code, out, _ = main(capsys, "chat", str(bot_dir), "--prompt", PARROT_PROMPT, "-t", "0")
    assert code == 0 and out.strip() == PARROT_REPLY
    code, out, _ = main(capsys, "chat", str(bot_dir), "--prompt", PARROT_PROMPT, "--json", "--temperature", "0")
    data = json.loads(out)
    assert data["reply"] == PARROT_REPLY and data["finish_reason"] == "stop" and data["completion_tokens"] > 3


def test_cli_complete_several_samples(bot_dir, capsys):
    code, out, err = main(capsys, "complete", str(bot_dir), "It was a dark and", "-n", "3", "--json", "--seed", "4",
                          "-m", "6")
    assert code == 0, err
    data = json.loads(out)
    assert data["prompt"] == "It was a dark and" and len(data["samples"]) == 3
    code, out, _ = main(capsys, "complete", "It was a dark and", "-n", "2", "-m", "6", cwd=bot_dir)  # BOT: "."
    assert code == 0 and out.startswith("--- sample 1 of 2 ---\nIt was a dark and") and "--- sample 2 of 2 ---" in out


@pytest.mark.parametrize("args, message", [
    (["--checkpoint", "final"], "no 'final' checkpoint"),
    (["--temperature", "9"], "[generate] temperature"),
    (["--checkpoint", "/no/such/folder"], "neither best, final, last nor a folder"),
])
def test_cli_errors_are_one_line(bot_dir, capsys, args, message):
    code, _, err = main(capsys, "chat", str(bot_dir), "--prompt", "hi", *args)
    assert code != 0 and "Traceback" not in err
    assert message in err.strip().splitlines()[-1]


def test_ctrl_c_and_ctrl_d_at_the_prompt_exit_cleanly(bot_dir):
    assert botsmith("chat", str(bot_dir), stdin="").returncode == 0  # Ctrl-D: end of input
    process = subprocess.Popen([sys.executable, "-m", "botsmith", "chat", str(bot_dir)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    banner = ""
    while "Talking to" not in banner and time.monotonic() < deadline:
        banner += process.stderr.readline()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "Traceback" not in err
