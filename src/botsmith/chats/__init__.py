"""Chat exports: parsers registered by name, one message record, chat-mode training conversations.

    parse_chat(path, format=None) -> ChatParse          # detect, parse, sort by time
    add_chats(bot, paths) -> list[Path]                 # copy exports into data/raw/chats/
    build_chat_examples(folder, config) -> list[dict]   # conversation records for `botsmith build`
    register_format(ExportFormat(...))                  # add a format; built-ins use the same call
"""

from __future__ import annotations

from typing import Any

from botsmith.chats.message import FLAG_NAMES, ChatMessage
from botsmith.chats.registry import ChatParse, ExportFormat, ExportInput, formats, get_format, parse_chat, register_format

__all__ = ["ChatMessage", "ChatParse", "ExportFormat", "ExportInput", "FLAG_NAMES", "add_chats",
           "build_chat_examples", "formats", "get_format", "parse_chat", "register_format"]


def __getattr__(name: str) -> Any:
    # The conversation builder imports transformers; load it only when asked for.
    if name == "build_chat_examples":
        from botsmith.chats.conversations import build_chat_examples

        return build_chat_examples
    if name == "add_chats":
        from botsmith.chats.store import add_chats

        return add_chats
    raise AttributeError(f"module 'botsmith.chats' has no attribute '{name}'")
