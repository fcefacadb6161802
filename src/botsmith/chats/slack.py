"""Slack workspace export folders: users.json, channels.json (and dms/groups/mpims.json),
and one folder per conversation holding a YYYY-MM-DD.json file per day.

Mentions (<@U123>) become @name, channel links #name, links their URL or label, and
Slack's &amp; &lt; &gt; escapes are undone, so the text reads as Slack showed it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from botsmith.chats.message import ChatMessage, clean_author, compose
from botsmith.chats.export_format import ExportFormat, ExportInput
from botsmith.chats.timestamps import from_unix
from botsmith.errors import BotsmithError

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_SYSTEM_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
                    "channel_archive", "channel_unarchive", "group_join", "group_leave", "group_topic",
                    "group_purpose", "group_name", "pinned_item", "unpinned_item", "bot_add", "bot_remove",
                    "reminder_add", "huddle_thread", "sh_room_created", "channel_convert_to_private",
                    "channel_posting_permissions", "tombstone"}
_LINK = re.compile(r"<([^<>]+)>")


def sniff(source: ExportInput) -> bool:
    path = source.path
    return path.is_dir() and (path / "users.json").is_file() and any(_day_files(path))


def _day_files(root: Path):
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for day in sorted(folder.iterdir()):
            if _DAY.match(day.name):
                yield folder.name, day


def parse(source: ExportInput) -> list[ChatMessage]:
    users = _users(_load(source.path / "users.json"))
    messages = []
    for channel, day in _day_files(source.path):
        items = _load(day)
        if not isinstance(items, list):
            raise BotsmithError(f"{day}: a Slack day file is a JSON list of messages")
        messages += [_message(item, channel, users, f"{day} message {index + 1}")
                     for index, item in enumerate(items) if isinstance(item, dict)]
    return messages


def _load(path: Path) -> Any:
    return ExportInput(path).json


def _users(data: Any) -> dict[str, str]:
    if not isinstance(data, list):
        raise BotsmithError("users.json: a Slack users file is a JSON list")
    return {str(user.get("id")): _display(user) for user in data if isinstance(user, dict)}


def _display(user: dict[str, Any]) -> str:
    profile = user.get("profile") or user.get("user_profile") or {}
    return str(profile.get("display_name") or profile.get("real_name") or user.get("real_name")
               or user.get("name") or user.get("id") or "")


def _message(item: dict[str, Any], channel: str, users: dict[str, str], where: str) -> ChatMessage:
    timestamp, when = from_unix(item.get("ts", ""), where)
    subtype = item.get("subtype", "")
    if item.get("user") in users:
        author = users[item["user"]]
    elif item.get("user_profile"):
        author = _display(item["user_profile"])
    else:
        author = str(item.get("username") or item.get("user") or item.get("bot_id") or "")
    media = [_file_placeholder(file) for file in item.get("files") or [] if isinstance(file, dict)]
    return ChatMessage(
        clean_author(author), timestamp, when, compose(render_text(str(item.get("text") or ""), users), media),
        chat=channel, system=subtype in _SYSTEM_SUBTYPES, deleted=subtype in ("message_deleted", "tombstone"),
        bot=subtype == "bot_message" or bool(item.get("bot_id")), edited=bool(item.get("edited")),
        reply=bool(item.get("thread_ts")) and item.get("thread_ts") != item.get("ts"),
        forwarded=bool(item.get("attachments") and any(a.get("is_share") for a in item["attachments"]
                                                      if isinstance(a, dict)) and not item.get("text")),
    )


def render_text(text: str, users: dict[str, str]) -> str:
    def link(match: re.Match[str]) -> str:
        target, _, label = match[1].partition("|")
        if target.startswith("@"):
            return "@" + (users.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            name = target[1:].split("^")[0]
            return "@" + (label or name)
        return label if label and not target.startswith("mailto:") else target.removeprefix("mailto:")
    return html.unescape(_LINK.sub(link, text))


def _file_placeholder(file: dict[str, Any]) -> str:
    mimetype = str(file.get("mimetype") or "")
    filetype = str(file.get("filetype") or "")
    if filetype == "gif" or mimetype == "image/gif":
        return "[gif]"
    for kind in ("image", "video", "audio"):
        if mimetype.startswith(kind + "/"):
            return f"[{kind}]"
    return "[file]"


FORMAT = ExportFormat("slack", "Slack workspace export folder (users.json + channel folders)", sniff, parse,
                      folder=True)
