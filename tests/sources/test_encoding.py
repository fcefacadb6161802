"""decode_text: the encodings people actually save texts in, newlines kept as they are."""

from __future__ import annotations

import pytest

from botsmith.errors import BotsmithError
from botsmith.sources.encoding import decode_text, detect_newline


def test_utf8_without_bom():
    decoded = decode_text("“Café,” she said.\n".encode("utf-8"))
    assert decoded.text == "“Café,” she said.\n"
    assert decoded.encoding == "utf-8"
    assert decoded.newline == "\n"


def test_utf8_bom_is_dropped_and_crlf_kept():
    decoded = decode_text(b"\xef\xbb\xbfOne\r\nTwo\r\n")
    assert decoded.text == "One\r\nTwo\r\n"
    assert decoded.encoding == "utf-8-sig"
    assert decoded.newline == "\r\n"


def test_windows_1252_curly_quotes():
    decoded = decode_text("\u201cCaf\u00e9\u201d \u2014 she said.\r\n".encode("cp1252"))
    assert decoded.text == "\u201cCaf\u00e9\u201d \u2014 she said.\r\n"
    assert decoded.encoding == "cp1252"


def test_latin1_without_cp1252_punctuation():
    decoded = decode_text(("Grüße aus Köln. " * 30).encode("latin-1"))
    assert decoded.text.startswith("Grüße aus Köln.")
    assert decoded.encoding == "latin-1"


def test_latin1_when_cp1252_cannot_decode():
    # 0x81 is undefined in cp1252; Latin-1 decodes everything
    decoded = decode_text(b"caf\xe9 \x81 end")
    assert decoded.encoding == "latin-1"
    assert decoded.text == "caf\u00e9 \x81 end"


def test_mostly_utf8_with_a_stray_byte_stays_utf8():
    data = ("“Quoted” text — with dashes. " * 20).encode("utf-8") + b"\xe9 stray"
    decoded = decode_text(data)
    assert decoded.encoding == "utf-8"
    assert decoded.text.startswith("“Quoted”")


def test_other_code_page_is_not_read_as_latin1():
    decoded = decode_text(("Привет мир, как дела? " * 20).encode("cp1251"))
    assert decoded.text.startswith("Привет мир")


def test_utf16_with_bom():
    decoded = decode_text("Hello\r\nworld".encode("utf-16"))
    assert decoded.text == "Hello\r\nworld"


@pytest.mark.parametrize("data, words", [
    (b"%PDF-1.7\n...", "PDF"),
    (b"PK\x03\x04rest", "ZIP"),
    (bytes(range(256)) * 4, "binary"),
    (b"abc\x00def" * 10, "binary"),
])
def test_binary_is_refused_with_the_name(data, words):
    with pytest.raises(BotsmithError, match=rf"book\.bin: .*{words}"):
        decode_text(data, name="book.bin")


def test_empty_is_empty_text():
    assert decode_text(b"").text == ""


@pytest.mark.parametrize("text, newline", [
    ("a\nb\nc", "\n"), ("a\r\nb\r\n", "\r\n"), ("a\rb\rc", "\r"), ("no newline", "\n"), ("a\r\nb\nc\n", "\n"),
])
def test_detect_newline(text, newline):
    assert detect_newline(text) == newline


def test_shared_corpora_encodings(corpora):
    raw = decode_text((corpora / "pride_and_prejudice.raw-cp1252-crlf.txt").read_bytes())
    assert (raw.encoding, raw.newline) == ("cp1252", "\r\n")
    assert "\u201c" in raw.text  # curly quotes came through cp1252, not as C1 controls
    clean = decode_text((corpora / "pride_and_prejudice.txt").read_bytes())
    assert (clean.encoding, clean.newline) == ("utf-8", "\n")
