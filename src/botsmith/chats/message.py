"""The one record every chat-export parser produces, and the text conventions it follows.

A parse is compared exactly (author, timestamp, text, media placeholders), so the
conventions live here once: line ends become "\\n", invisible direction marks go,
the whole message is stripped, and media become one placeholder line each after the
message's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

FLAG_NAMES: tuple[str, ...] = ("system", "deleted", "forwarded", "bot", "reply", "edited")
PLACEHOLDERS: tuple[str, ...] = ("[image]", "[video]", "[audio]", "[gif]", "[sticker]", "[file]", "[media]")

# Marks the exporters insert around names and media lines; they carry no words.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u2068\u2069"))
# Author names also lose bidi embeddings (WhatsApp wraps phone numbers in U+202A..U+202C).
_AUTHOR_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u2068\u2069\u202a\u202b\u202c\u202d\u202e\ufeff"))

IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "bmp", "webp"})
VIDEO_EXTENSIONS = frozenset({"gifv", "mp4", "webm", "mov"})
AUDIO_EXTENSIONS = frozenset({"mp3", "wav", "ogg", "flac", "m4a"})


@dataclass
class ChatMessage:
    """One message as the export states it. `when` orders messages and measures gaps;
    `timestamp` is the same instant written at the source's own precision."""

    author: str
    timestamp: str | None
    when: datetime | None
    text: str
    system: bool = False
    deleted: bool = False
    forwarded: bool = False
    bot: bool = False
    reply: bool = False
    edited: bool = False
    chat: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # parser-specific, never printed

    @property
    def flags(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in FLAG_NAMES}

    @property
    def printed(self) -> bool:
        """Whether `chats parse` prints it without --all: a person's words (or media)."""
        return bool(self.text) and not (self.system or self.deleted or self.forwarded)

    def to_json(self) -> dict[str, Any]:
        return {"author": self.author, "timestamp": self.timestamp, "text": self.text,
                "flags": self.flags, "chat": self.chat}


def clean_text(text: str) -> str:
    """Line ends to \\n, invisible marks removed, the whole message stripped (inner blank lines kept)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    return text.strip()


def clean_author(name: str) -> str:
    return name.translate(_AUTHOR_INVISIBLE).strip()


def compose(text: str, media: list[str]) -> str:
    """The message text followed by one placeholder line per media item, in source order."""
    parts = [clean_text(text)] if clean_text(text) else []
    return "\n".join(parts + media)


def extension_of(name_or_url: str) -> str:
    path = re.split(r"[?#]", name_or_url, maxsplit=1)[0]
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def placeholder_for_extension(name_or_url: str) -> str:
    """Discord's typing of an attachment by file extension; anything unknown is a file."""
    extension = extension_of(name_or_url)
    if extension in IMAGE_EXTENSIONS:
        return "[image]"
    if extension in VIDEO_EXTENSIONS:
        return "[video]"
    if extension in AUDIO_EXTENSIONS:
        return "[audio]"
    return "[file]"


def is_placeholder_only(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    return bool(lines) and all(line.strip() in PLACEHOLDERS for line in lines)


def sort_key(message: ChatMessage) -> tuple[int, datetime]:
    """Chronological; aware times compare in UTC, and messages with no time keep source order."""
    when = message.when
    if when is None:
        return (0, datetime.min)
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return (1, when)


def sort_messages(messages: list[ChatMessage]) -> list[ChatMessage]:
    if any(message.when is None for message in messages):
        return list(messages)
    return sorted(messages, key=sort_key)  # stable: equal times keep the export's order
