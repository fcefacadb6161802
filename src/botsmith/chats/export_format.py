"""What a chat-export format is (`ExportFormat`) and what its parser reads (`ExportInput`).

The format modules (discord_json.py, whatsapp.py, ...) each define one `FORMAT` from these;
chats/registry.py registers them. They never import the registry, so there is no import cycle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from botsmith.chats.message import ChatMessage
from botsmith.errors import BotsmithError

_HEAD_BYTES = 1 << 16
TOO_DEEP = "JSON nested too deeply to be a chat export (lists or objects inside each other hundreds of times)"


@dataclass
class ExportInput:
    """A file or folder being read, decoded once; parsers add warnings here."""

    path: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def data(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as error:
            raise BotsmithError(f"{self.path}: cannot read ({error.strerror})") from None

    @cached_property
    def text(self) -> str:
        """The decoded text; a legacy encoding is read correctly and warned about."""
        from botsmith.sources.encoding import decode_text

        decoded = decode_text(self.data, name=str(self.path))
        if decoded.encoding not in ("utf-8", "utf-8-sig"):
            self.warnings.append(f"{self.path}: not UTF-8; read as {decoded.encoding} "
                                 "(re-export or re-save as UTF-8 to be sure)")
        return decoded.text

    @property
    def head(self) -> str:
        """The start of the text, for detection."""
        return self.text[:_HEAD_BYTES]

    @cached_property
    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as error:
            raise BotsmithError(f"{self.path}: not valid JSON ({error.msg}: line {error.lineno} column "
                                f"{error.colno}; is the file cut short?)") from None
        except RecursionError:
            raise BotsmithError(f"{self.path}: {TOO_DEEP}") from None


@dataclass(frozen=True)
class ExportFormat:
    name: str
    description: str
    sniff: Callable[[ExportInput], bool]
    parse: Callable[[ExportInput], list[ChatMessage]]
    folder: bool = False  # reads a folder (Slack) rather than one file
