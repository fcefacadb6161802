"""The [chats] table: chat exports where one person becomes the bot."""

from __future__ import annotations

from pydantic import Field

from botsmith.config.section import Section


class ChatsSection(Section):
    me: list[str] = Field(default_factory=list, description="Chat mode: your name(s) in the exports; your messages become the bot's turns.")
    session_gap_minutes: float = Field(60.0, gt=0, description="A pause longer than this starts a new conversation.")
