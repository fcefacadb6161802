"""Every hand-made export parses exactly to its hand-written gold list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from botsmith.chats import parse_chat

FIXTURES = Path(__file__).parent / "fixtures"

# export, gold list, expected detected format
CASES = [
    ("discord_plain_crlf.txt", "discord_plain_crlf.gold.jsonl", "discord-txt"),
    ("discord_plain_old.txt", "discord_plain_old.gold.jsonl", "discord-txt"),
    ("discord_export.json", "discord_export.gold.jsonl", "discord-json"),
    ("discord_export.csv", "discord_csv.gold.jsonl", "discord-csv"),
    ("whatsapp_android.txt", "whatsapp_android.gold.jsonl", "whatsapp"),
    ("whatsapp_ios.txt", "whatsapp_ios.gold.jsonl", "whatsapp"),
    ("whatsapp_us_android.txt", "whatsapp_us_android.gold.jsonl", "whatsapp"),
    ("telegram_single.json", "telegram_single.gold.jsonl", "telegram"),
    ("telegram_full.json", "telegram_full.gold.jsonl", "telegram"),
    ("slack_export", "slack_export.gold.jsonl", "slack"),
    ("openai.jsonl", "openai.gold.jsonl", "jsonl"),
    ("sharegpt.jsonl", "sharegpt.gold.jsonl", "jsonl"),
]


def gold(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("export, gold_name, fmt", CASES, ids=[case[0] for case in CASES])
def test_export_parses_exactly(export, gold_name, fmt):
    result = parse_chat(FIXTURES / export)
    assert result.format == fmt
    got = [{key: m.to_json()[key] for key in ("author", "timestamp", "text", "flags")} for m in result.messages]
    assert got == gold(gold_name)


@pytest.mark.parametrize("export, gold_name, fmt", CASES, ids=[case[0] for case in CASES])
def test_format_override_gives_the_same_parse(export, gold_name, fmt):
    assert [m.to_json() for m in parse_chat(FIXTURES / export, fmt).messages] == \
        [m.to_json() for m in parse_chat(FIXTURES / export).messages]


def test_printed_messages_leave_out_system_deleted_forwarded_and_empty():
    messages = parse_chat(FIXTURES / "discord_plain_crlf.txt").messages
    printed = [m.author for m in messages if m.printed]
    assert printed == ["alice", "bob", "alice", "bob", "MEE6#4876", "bob"]


def test_whatsapp_ios_with_blank_lines_is_not_taken_for_discord(tmp_path):
    lines = []
    for day in range(1, 6):
        lines += [f"[1/{day}/24, 9:00:00 AM] Mom: a long note\n\nwith a blank line\n", "",
                  f"[1/{day}/24, 9:01:00 AM] Jo: ok", ""]
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines))
    result = parse_chat(path)
    assert result.format == "whatsapp"
    assert [(m.author, m.text) for m in result.messages][:2] == [("Mom", "a long note\n\nwith a blank line"),
                                                                  ("Jo", "ok")]


def test_zipped_exports_parse_like_their_contents(tmp_path):
    import zipfile

    whatsapp = tmp_path / "WhatsApp Chat - Family.zip"
    with zipfile.ZipFile(whatsapp, "w") as archive:
        archive.write(FIXTURES / "whatsapp_ios.txt", "_chat.txt")
        archive.writestr("00000042-PHOTO-2024-01-15-09-02-00.jpg", b"\xff\xd8\xff")
    slack = tmp_path / "Workspace Slack export.zip"
    with zipfile.ZipFile(slack, "w") as archive:
        for path in (FIXTURES / "slack_export").rglob("*.json"):
            archive.write(path, str(path.relative_to(FIXTURES / "slack_export")))
    for zipped, plain in ((whatsapp, "whatsapp_ios.txt"), (slack, "slack_export")):
        result = parse_chat(zipped)
        assert result.path == zipped
        assert [m.to_json() for m in result.messages] == [m.to_json() for m in parse_chat(FIXTURES / plain).messages]
    empty = tmp_path / "photos.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("notes.txt", "just some notes\n")
    with pytest.raises(Exception, match=r"photos.zip: a zip archive with no chat export inside \(formats tried: "):
        parse_chat(empty)


def test_discord_text_message_after_reactions_and_one_blank_line_is_kept(tmp_path):
    rule = "=" * 62
    text = "\n".join([rule, "Guild: Direct Messages", "Channel: Private / alice", rule, "",
                      "[1/15/2024 3:04 PM] alice", "first", "", "{Reactions}", "👍 (2) ", "",  # as the exporter writes it
                      "[1/15/2024 3:05 PM] bob", "second", "", "",
                      "[1/15/2024 3:06 PM] alice", "third", "", "", rule, "Exported 3 message(s)", rule, ""])
    path = tmp_path / "dm.txt"
    path.write_text(text, encoding="utf-8")
    messages = parse_chat(path).messages
    assert [(m.author, m.text) for m in messages] == [("alice", "first"), ("bob", "second"), ("alice", "third")]
