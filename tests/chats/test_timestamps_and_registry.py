"""Date forms decided per file, ISO kept at its precision, and the registry open to new formats."""

from __future__ import annotations

import pytest

from botsmith.chats import ChatMessage, ExportFormat, formats, parse_chat, register_format
from botsmith.chats.registry import _FORMATS
from botsmith.chats.timestamps import choose_order, from_unix, local_iso, parse_iso, split_local


@pytest.mark.parametrize("stamps, order", [
    (["13/01/2024 10:00", "14/01/2024 10:00"], "dmy"),          # a day above 12
    (["1/13/2024 10:00 AM", "1/14/2024 10:00 AM"], "mdy"),      # a month position above 12
    (["1/2/24 10:00", "1/3/24 10:00", "2/1/24 10:00"], "mdy"),  # only month-first runs forward in time
    (["1/2/24 10:00", "2/2/24 10:00", "1/3/24 10:00"], "dmy"),  # only day-first runs forward in time
    (["2024-01-02 10:00"], "ymd"),
])
def test_field_order_is_decided_from_the_whole_file(stamps, order):
    assert choose_order([split_local(s) for s in stamps]) == order


@pytest.mark.parametrize("stamp, iso", [
    ("1/15/2024 12:04\u202fAM", "2024-01-15T00:04"),
    ("1/15/2024 12:04 PM", "2024-01-15T12:04"),
    ("15-Jan-24 03:04 PM", "2024-01-15T15:04"),
    ("15.01.24, 15:04:09", "2024-01-15T15:04:09"),
    ("1/15/24, 3:04 p. m.", "2024-01-15T15:04"),
])
def test_local_forms(stamp, iso):
    local = split_local(stamp)
    assert local_iso(local, choose_order([local]), "x")[0] == iso


def test_iso_and_unix_keep_the_source_precision():
    assert parse_iso("2024-01-15T15:04:05.1234567+01:00")[0] == "2024-01-15T15:04:05.1234567+01:00"
    assert parse_iso("2024-01-15T15:04:05Z")[0] == "2024-01-15T15:04:05+00:00"
    assert parse_iso("2024-01-15T15:04:05.1234567+01:00")[1].microsecond == 123456
    assert from_unix("1705331045", "x")[0] == "2024-01-15T15:04:05+00:00"
    assert from_unix("1705331045.000200", "x")[0] == "2024-01-15T15:04:05.000200+00:00"


def test_a_new_format_registers_and_is_detected(tmp_path):
    def sniff(source):
        return source.head.startswith("LOG1\n")

    def parse(source):
        author, text = source.text.splitlines()[1].split("|")
        return [ChatMessage(author, None, None, text)]

    register_format(ExportFormat("log1", "test format", sniff, parse))
    try:
        path = tmp_path / "chat.data"
        path.write_text("LOG1\nzoe|hello\n")
        result = parse_chat(path)
        assert result.format == "log1" and result.messages[0].text == "hello"
        assert "log1" in formats()
    finally:
        _FORMATS.pop("log1")
