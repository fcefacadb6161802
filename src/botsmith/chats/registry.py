"""Chat-export formats, registered by name, detected from the content.

Every format, built-in or added later, is one `ExportFormat` (chats/export_format.py): a
name, a `sniff` that looks at the content (never the extension alone) and a `parse` that
returns `ChatMessage`s. The built-ins are registered at the bottom of this module, in
detection order, with the same `register_format` call a new format uses; a name that is
taken is an error unless `replace=True`. `parse_chat` detects, parses and sorts;
`--format` skips detection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from botsmith.chats import discord_csv, discord_json, discord_text, jsonl, slack, telegram, whatsapp
from botsmith.chats.export_format import ExportFormat, ExportInput
from botsmith.chats.message import ChatMessage, sort_messages
from botsmith.errors import BotsmithError

__all__ = ["ChatParse", "ExportFormat", "ExportInput", "detect_format", "formats", "get_format", "parse_chat",
           "register_format"]

@dataclass
class ChatParse:
    """The result of reading one export."""

    path: Path
    format: str
    messages: list[ChatMessage]
    warnings: list[str]


_FORMATS: dict[str, ExportFormat] = {}


def register_format(export_format: ExportFormat, *, replace: bool = False) -> ExportFormat:
    """Add a format; detection tries formats in registration order. A taken name needs `replace=True`."""
    if export_format.name in _FORMATS and not replace:
        raise BotsmithError(f"chat format '{export_format.name}' is already registered",
                            hint="choose another name, or pass replace=True to replace it")
    _FORMATS[export_format.name] = export_format
    return export_format


def formats() -> dict[str, ExportFormat]:
    return dict(_FORMATS)


def get_format(name: str) -> ExportFormat:
    known = formats()
    if name not in known:
        raise BotsmithError(f"unknown chat format '{name}'", hint=f"known formats: {', '.join(known)}")
    return known[name]


def detect_format(source: ExportInput) -> ExportFormat:
    """The first registered format whose sniff accepts the content, or a one-line error."""
    known = formats()
    if source.path.is_dir():
        candidates = [f for f in known.values() if f.folder]
    else:
        if not source.path.is_file():
            raise BotsmithError(f"{source.path}: no such file or folder")
        if not source.data.strip():
            raise BotsmithError(f"{source.path}: empty file, not a chat export (formats tried: {', '.join(known)})")
        candidates = [f for f in known.values() if not f.folder]
    for candidate in candidates:
        if candidate.sniff(source):
            return candidate
    raise BotsmithError(f"{source.path}: not a chat export botsmith can read "
                        f"(formats tried: {', '.join(c.name for c in candidates)})",
                        hint="pass --format NAME if you know the format")


def parse_chat(path: str | Path, format: str | None = None) -> ChatParse:
    """Read one chat export (a file, a Slack export folder, or a zip of either) into time-sorted messages."""
    from botsmith.chats.archive import is_zip

    if is_zip(Path(path)):
        return _parse_zip(Path(path), format)
    return _parse_export(Path(path), format)


def _parse_export(path: Path, format: str | None) -> ChatParse:
    source = ExportInput(path)
    export_format = get_format(format) if format else detect_format(source)
    if format and not export_format.folder and source.path.is_dir():
        raise BotsmithError(f"{source.path}: is a folder, but format '{format}' reads one file")
    try:
        messages = export_format.parse(source)
    except BotsmithError as error:
        raise BotsmithError(f"{error.message} (format tried: {export_format.name})", hint=error.hint) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError) as error:
        raise BotsmithError(f"{source.path}: not a valid {export_format.name} export ({type(error).__name__}: "
                            f"{error})", hint="pass --format NAME if it is another format") from None
    if not messages:
        raise BotsmithError(f"{source.path}: no messages found in this {export_format.name} export")
    return ChatParse(source.path, export_format.name, sort_messages(messages), source.warnings)


def _parse_zip(path: Path, format: str | None) -> ChatParse:
    """The first member (or Slack folder) inside the zip that parses; the result names the zip."""
    from botsmith.chats.archive import is_zip, unpacked

    last_error = nested = None
    with unpacked(path) as candidates:
        for candidate in candidates:
            if is_zip(candidate):  # not opened: zips can nest without end
                nested = last_error = f"{candidate.name} is a zip inside the zip (unzip it and give that one)"
                continue
            try:
                result = _parse_export(candidate, format)
            except BotsmithError as error:
                last_error = error.message.replace(str(candidate), candidate.name)
                continue
            warnings = [warning.replace(str(candidate), f"{path}:{candidate.name}") for warning in result.warnings]
            return ChatParse(path, result.format, result.messages, warnings)
    if format and last_error:
        raise BotsmithError(f"{path}: {last_error}")
    tried = ", ".join(f.name for f in formats().values())
    raise BotsmithError(f"{path}: a zip archive with no chat export inside (formats tried: {tried})"
                        + (f"; {nested}" if nested else ""))


# The built-ins, in detection order: specific formats first, WhatsApp's loose line format last.
for _builtin in (discord_json, discord_csv, discord_text, telegram, slack, jsonl, whatsapp):
    register_format(_builtin.FORMAT)
