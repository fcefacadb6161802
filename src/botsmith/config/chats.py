"""The [chats] table: chat exports where one person becomes the bot."""

from __future__ import annotations

from pydantic import Field

from botsmith.config.section import Section


class ChatsSection(Section):
    me: list[str] = Field(
        default_factory=list,
        description="Chat mode: your name(s) in the exports (Discord username, WhatsApp name or number, Telegram name); "
                    "your messages become the bot's turns.",
    )
    session_gap_minutes: float = Field(60.0, gt=0, description="A pause longer than this starts a new conversation.")
    merge_window_minutes: float = Field(
        5.0, ge=0, description="Consecutive messages of one person this close together become one turn (0: never merge).")
    format: str = Field("", description="Export format for every file in data/raw/chats (empty: detect from the content).")
    name_speakers: bool = Field(True, description="In group chats, name the other speakers in their turns.")
    include_bots: bool = Field(False, description="Keep messages from Discord/Slack/Telegram bots as other speakers' turns.")
    scrub_emails: bool = Field(False, description="Replace e-mail addresses with [email].")
    scrub_phones: bool = Field(False, description="Replace phone numbers with [phone].")
    scrub_urls: bool = Field(False, description="Replace URLs with [url].")
    scrub_names: bool = Field(False, description="Replace other people's names with Person 1, Person 2, ... in turns and texts.")
