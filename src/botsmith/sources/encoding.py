"""Bytes to text, the way texts are actually saved: UTF-8 (with or without BOM),
Windows-1252 or Latin-1, with whatever line endings they came with.

Newlines are never changed here: other code computes character offsets into the
decoded text, so `DecodedText.text` is exactly the decoded bytes (minus a BOM).
`DecodedText.newline` says which line ending the text mostly uses.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from botsmith.errors import BotsmithError

# Magic numbers of formats people mistake for text; naming them makes the error useful.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (an .epub or .docx is one)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "a program"),
    (b"{\\rtf", "an RTF document"),
)
# Control characters that never occur in text files (tab, newlines, form feed and escape may).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
# Bytes that Windows-1252 does not define; their presence rules it out.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_C1_RANGE = re.compile(rb"[\x80-\x9f]")
_SAMPLE = 1 << 16
_HIGH_BYTES = bytes(range(128, 256))
_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # a Python codec name: "utf-8", "utf-8-sig", "cp1252", "latin-1", ...
    newline: str  # "\n", "\r\n" or "\r": the ending most lines use


def decode_text(data: bytes, *, name: str = "input") -> DecodedText:
    """Decode a text file's bytes; binary data raises BotsmithError naming `name`."""
    if data.startswith(codecs.BOM_UTF8):
        text = _strict(data[len(codecs.BOM_UTF8):], "utf-8", name)
        return DecodedText(text, "utf-8-sig", detect_newline(text))
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = _strict(data[len(bom):], codec, name)
            return DecodedText(text, "utf-16", detect_newline(text))
    _reject_binary(data, name)
    encoding = guess_encoding(data)
    text = data.decode(encoding, errors="replace")
    return DecodedText(text, encoding, detect_newline(text))


def guess_encoding(data: bytes) -> str:
    """Strict UTF-8 first, then Windows-1252, then Latin-1 (which decodes anything)."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return "utf-8"  # a few stray bytes in a UTF-8 file: replacing them beats mojibake everywhere
    if _looks_non_western(data):
        other = _charset_normalizer_guess(data)
        if other:
            return other
    if _CP1252_UNDEFINED.search(data) is None and _C1_RANGE.search(data) is not None:
        return "cp1252"  # bytes 0x80-0x9f are curly quotes and dashes in cp1252, controls in Latin-1
    return "latin-1"


def detect_newline(text: str) -> str:
    """The line ending most lines of `text` use ("\\n" when there are none)."""
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    lone_lf = text.count("\n") - crlf
    best = max((crlf, "\r\n"), (lone_lf, "\n"), (lone_cr, "\r"), key=lambda pair: pair[0])
    return best[1] if best[0] else "\n"


def _strict(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise BotsmithError(
            f"{name}: starts with a {codec.upper()} byte-order mark but byte {error.start} is not valid {codec}",
            hint="re-save the file as UTF-8",
        ) from None


def _reject_binary(data: bytes, name: str) -> None:
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise BotsmithError(f"{name}: this is {kind}, not a text file", hint="give a .txt or .md file")
    sample = data[:_SAMPLE]
    if b"\x00" in sample or len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        raise BotsmithError(f"{name}: binary data, not a text file", hint="give a plain-text .txt or .md file")


def _mostly_utf8(data: bytes) -> bool:
    """True when valid multi-byte UTF-8 sequences far outnumber the invalid bytes."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid_non_ascii = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    return valid_non_ascii >= 20 * invalid


def _looks_non_western(data: bytes) -> bool:
    """In Western texts high bytes are lone accented letters between ASCII ones; in
    Cyrillic, Greek or CJK code pages they come in runs that make whole words."""
    sample = data[:_SAMPLE]
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    in_runs = sum(len(run) for run in _HIGH_RUN.findall(sample))
    return high >= 20 and in_runs > 0.5 * high


def _charset_normalizer_guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # it is a dependency, but the three Western guesses work without it
        return None
    best = from_bytes(data[: _SAMPLE * 4]).best()
    if best is None or best.encoding.startswith(("utf_16", "utf_32")):
        return None  # no NUL bytes were seen, so a UTF-16/32 guess is wrong
    return best.encoding
