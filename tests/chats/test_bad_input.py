"""Bad input: one line naming the file and the formats tried, non-zero exit, nothing written;
legacy encodings: a warning and a correct parse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from botsmith.bot_folder import new_bot
from botsmith.chats import parse_chat
from botsmith.errors import BotsmithError

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "botsmith", *args], capture_output=True, text=True, cwd=cwd)


def bad_files(folder: Path) -> dict[str, str]:
    """file name -> what its one-line error must say."""
    (folder / "cut.json").write_bytes((FIXTURES / "discord_export.json").read_bytes()[:700])
    (folder / "cut.csv").write_bytes((FIXTURES / "discord_export.csv").read_bytes()[:150])
    (folder / "empty.txt").write_text("")
    (folder / "irc.log").write_text("[12:01] <alice> hi\n[12:02] <bob> yo\n")
    (folder / "package.json").write_text('{"name": "pkg", "version": "1.0"}\n')
    deep = "[" * 100_000 + "]" * 100_000
    (folder / "deep.json").write_text('{"type": "personal_chat", "date_unixtime": "1", "messages": [' + deep + "]}")
    tried = r"formats tried: discord-json, discord-csv, discord-txt, telegram, jsonl, whatsapp"
    return {
        "cut.json": r"cut.json: not valid JSON \(.*line \d+ column \d+; is the file cut short\?\) \(format tried: discord-json\)",
        "cut.csv": r"cut.csv row 2: too few columns \(is the file cut short\?\) \(format tried: discord-csv\)",
        "empty.txt": r"empty.txt: empty file, not a chat export \(formats tried: discord-json,",
        "irc.log": rf"irc.log: not a chat export botsmith can read \({tried}\)",
        "package.json": rf"package.json: not a chat export botsmith can read \({tried}\)",
        "deep.json": r"deep.json: JSON nested too deeply to be a chat export .* \(format tried: telegram\)",
    }


def test_bad_files_give_one_line_errors_and_write_nothing(tmp_path):
    import re

    bot = new_bot(tmp_path / "bot", mode="chat")
    for name, pattern in bad_files(tmp_path).items():
        parsed = run_cli("chats", "parse", str(tmp_path / name))
        added = run_cli("chats", "add", str(FIXTURES / "whatsapp_ios.txt"), str(tmp_path / name), "--bot", str(bot.root))
        for result in (parsed, added):
            assert result.returncode == 1 and result.stdout == ""
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("botsmith: error: ") and "Traceback" not in result.stderr
            assert re.search(pattern, lines[0]), lines[0]
    assert not (bot.raw_dir / "chats").exists() or not any((bot.raw_dir / "chats").iterdir())


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
def test_legacy_encodings_warn_and_parse_correctly(tmp_path, codec):
    text = "15/01/2024, 09:02 - Zoë: café “quoted” — ok\n15/01/2024, 09:03 - Ana: ñandú\n"
    if codec == "latin-1":
        text = text.replace("“", '"').replace("”", '"').replace("—", "-")
    path = tmp_path / "chat.txt"
    path.write_bytes(text.encode(codec))
    result = parse_chat(path)
    assert [(m.author, m.text) for m in result.messages] == [
        ("Zoë", text.split(": ", 1)[1].split("\n")[0]), ("Ana", "ñandú")]
    assert len(result.warnings) == 1 and "not UTF-8" in result.warnings[0] and str(path) in result.warnings[0]
    cli = run_cli("chats", "parse", str(path))
    assert cli.returncode == 0 and "botsmith: warning:" in cli.stderr
    assert json.loads(cli.stdout.splitlines()[0])["author"] == "Zoë"


def test_parse_prints_people_and_all_adds_the_rest():
    plain = run_cli("chats", "parse", str(FIXTURES / "whatsapp_android.txt"))
    everything = run_cli("chats", "parse", str(FIXTURES / "whatsapp_android.txt"), "--all")
    rows = [json.loads(line) for line in plain.stdout.splitlines()]
    all_rows = [json.loads(line) for line in everything.stdout.splitlines()]
    assert len(rows) == 8 and len(all_rows) == 12
    assert all(set(row) == {"author", "timestamp", "text", "flags", "chat"} for row in all_rows)
    assert not any(row["flags"]["system"] or row["flags"]["deleted"] for row in rows)
    forced = run_cli("chats", "parse", str(FIXTURES / "whatsapp_android.txt"), "--format", "telegram")
    assert forced.returncode == 1 and "format tried: telegram" in forced.stderr


def test_out_of_range_dates_and_deep_json_are_one_line_errors(tmp_path):
    future = tmp_path / "result.json"
    message = {"id": 1, "type": "message", "date_unixtime": "9" * 20, "from": "Ana", "text": "hi"}
    future.write_text(json.dumps({"name": "Ana", "type": "personal_chat", "messages": [message]}))
    with pytest.raises(BotsmithError, match=r"result.json chat 'Ana' message 1: Unix time '9{20}' is out of range"):
        parse_chat(future)
    future.write_text(future.read_text().replace("9" * 20, "9" * 5000))
    with pytest.raises(BotsmithError, match="is out of range"):
        parse_chat(future)
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(BotsmithError, match=r"deep.jsonl line 2: JSON nested too deeply"):
        parse_chat(deep)
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(BotsmithError, match="not a chat export botsmith can read"):
        parse_chat(deep)


def nested_zips(levels: int, inner: bytes) -> bytes:
    import io
    import zipfile

    data = inner
    for _ in range(levels):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("_chat.txt", data)
        data = buffer.getvalue()
    return data


def test_a_zip_inside_a_zip_is_not_opened(tmp_path):
    chat = (FIXTURES / "whatsapp_ios.txt").read_bytes()
    deep = tmp_path / "deep.zip"
    deep.write_bytes(nested_zips(1500, chat))
    with pytest.raises(BotsmithError, match=r"deep.zip: a zip archive with no chat export inside .*_chat.txt is a zip "
                                            r"inside the zip"):
        parse_chat(deep)
    once = tmp_path / "once.zip"
    once.write_bytes(nested_zips(1, chat))
    assert parse_chat(once).format == "whatsapp"


def test_only_the_member_that_parses_is_unpacked(tmp_path, monkeypatch):
    import tempfile
    import zipfile

    from botsmith.chats import archive

    chat = (FIXTURES / "whatsapp_ios.txt").read_bytes()
    bomb = tmp_path / "WhatsApp Chat.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("_chat.txt", chat)
        for number in range(20):
            packed.writestr(f"logs/{number:02d}.txt", bytes(10 << 20))  # 200 MiB of zeros in a few hundred KB
    assert bomb.stat().st_size < 1 << 20
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the zip is unpacked

    def unpacked_bytes() -> int:
        return sum(path.stat().st_size for path in scratch.rglob("*") if path.is_file())

    with archive.unpacked(bomb) as candidates:
        assert next(iter(candidates)).name == "_chat.txt" and unpacked_bytes() == len(chat)
    assert parse_chat(bomb).format == "whatsapp" and unpacked_bytes() == 0
    with zipfile.ZipFile(tmp_path / "chat-last.zip", "w", zipfile.ZIP_DEFLATED) as packed:
        for number in range(20):
            packed.writestr(f"logs/{number:02d}.txt", bytes(10 << 20))
        packed.writestr("notes/chat.txt", chat)
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 35 << 20)
    with pytest.raises(BotsmithError, match=r"chat-last.zip: unpacking logs/03.txt would take more than 35 MiB"):
        parse_chat(tmp_path / "chat-last.zip")
