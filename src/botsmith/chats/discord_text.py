"""DiscordChatExporter PlainText (.txt) exports.

    ==============================================================
    Guild: Direct Messages
    Channel: Private / alice
    ==============================================================

    [1/15/2024 3:04 PM] alice (pinned)
    first line

    after a blank line

    {Attachments}
    https://cdn.discordapp.com/attachments/1/2/photo.png

    {Reactions}
    👍 (2)

    [1/15/2024 3:05 PM] bob
    (one blank line after reactions, two after any other message)


Structure lines end with the file's newline; message bodies keep their own, so in a
CRLF file a body's bare LF is never taken for a new message.
"""

from __future__ import annotations

import re

from botsmith.chats.discord_common import BLOCK_MARKERS, is_system_notice
from botsmith.chats.message import ChatMessage, clean_author, compose, placeholder_for_extension
from botsmith.chats.export_format import ExportFormat, ExportInput
from botsmith.chats.timestamps import LocalStamp, choose_order, local_iso, parse_iso, split_local

_RULE = "=" * 20
_HEADER = re.compile(r"^\[(?P<stamp>[^\[\]]{6,48})\] (?P<author>.+?)(?P<pinned> \(pinned\))?$")
_PREAMBLE_KEYS = re.compile(r"^(Guild|Channel|Topic|After|Before): ")


def _lines(text: str) -> list[str]:
    """Split on the file's own newline (the one ending the first line); other line ends stay in place."""
    first = text.find("\n")
    newline = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
    return [line[:-1] if line.endswith("\r") else line for line in text.split(newline)]


def _header(lines: list[str], index: int) -> tuple[str, str, bool] | None:
    """(stamp, author, pinned) when line `index` starts a message: a known date after a blank line."""
    match = _HEADER.match(lines[index])
    if not match or (index > 0 and lines[index - 1].strip() and not lines[index - 1].startswith(_RULE)):
        return None
    stamp = match["stamp"]
    if split_local(stamp) is None and parse_iso(stamp) is None:
        return None
    return stamp, match["author"], bool(match["pinned"])


def _starts(lines: list[str]) -> list[tuple[int, tuple[str, str, bool]]]:
    """Message headers: every `[date] author` line after a blank line whose date parses. The exporter
    usually leaves two blank lines between messages, but only one after a {Reactions} block, so the
    count cannot tell a header from a message's own text. A body line that looks exactly like a
    header is read as one (splitting that message in two), where skipping real headers would
    merge whole messages into their predecessors under the wrong author."""
    return [(index, header) for index in range(len(lines)) if (header := _header(lines, index))]


def _spaced(lines: list[str], index: int) -> bool:
    before = lines[max(0, index - 2):index]
    if index == 0 or before[-1].startswith(_RULE) or (len(before) == 2 and before[0].startswith(_RULE)):
        return True
    return len(before) == 2 and not before[0].strip() and not before[1].strip()


def sniff(source: ExportInput) -> bool:
    """The exporter's `====` preamble with a Guild/Channel line; or, for a file cut without it,
    several headers two blank lines apart (WhatsApp iOS lines look alike but run back to back)."""
    lines = _lines(source.head.lstrip("\ufeff"))[:400]
    if lines and lines[0].startswith(_RULE) and any(_PREAMBLE_KEYS.match(line) for line in lines[1:8]):
        return True
    spaced = [header for index, header in _starts(lines) if _spaced(lines, index) and index > 0]
    return len(spaced) >= 2 and sum(": " in author for _, author, _ in spaced) <= len(spaced) / 2


def parse(source: ExportInput) -> list[ChatMessage]:
    lines = _lines(source.text)
    starts = _starts(lines)
    chat = _channel(lines)
    stamps = [split_local(header[0]) for _, header in starts]
    order = choose_order([stamp for stamp in stamps if stamp is not None])
    messages = []
    for number, (index, (stamp, author, _pinned)) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else _footer(lines)
        timestamp, when = _time(stamp, stamps[number], order, f"{source.path} line {index + 1}")
        body, media, forwarded = _body(lines[index + 1:end])
        message = ChatMessage(clean_author(author), timestamp, when, compose(body, media), chat=chat)
        message.forwarded = forwarded
        message.system = not media and is_system_notice(body)
        messages.append(message)
    return messages


def _time(stamp: str, local: LocalStamp | None, order: str, where: str):
    if local is not None:
        return local_iso(local, order, where)
    return parse_iso(stamp)


def _footer(lines: list[str]) -> int:
    """Where the closing `====` / `Exported N message(s)` block starts (or the end)."""
    for index in range(len(lines) - 1, max(-1, len(lines) - 8), -1):
        if lines[index].startswith("Exported ") and index > 0 and lines[index - 1].startswith(_RULE):
            return index - 1
    return len(lines)


def _channel(lines: list[str]) -> str:
    for line in lines[:12]:
        if line.startswith("Channel: "):
            return line[len("Channel: "):].strip()
    return ""


def _body(lines: list[str]) -> tuple[str, list[str], bool]:
    """The message's own text, its media placeholders, and whether it forwards another message."""
    text_lines: list[str] = []
    media: list[str] = []
    block = None
    forwarded = False
    for index, line in enumerate(lines):
        starts_block = line in BLOCK_MARKERS and (index == 0 or not lines[index - 1].strip())
        if starts_block and (block is None or block == "{Forwarded Message}" or line != "{Forwarded Message}"):
            block = line
            forwarded = forwarded or line == "{Forwarded Message}"
            continue
        if block is None:
            text_lines.append(line)
        elif block in ("{Attachments}", "{Stickers}") and line.strip() and not forwarded:
            media.append("[sticker]" if block == "{Stickers}" else placeholder_for_extension(line.strip()))
    return "\n".join(text_lines), media, forwarded


FORMAT = ExportFormat("discord-txt", "DiscordChatExporter PlainText (.txt)", sniff, parse)
