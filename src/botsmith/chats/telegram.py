"""Telegram Desktop `result.json`: one chat ({"name", "type", "messages"}) or a full export
({"chats": {"list": [...]}, "left_chats": ...}).

`text` is a string or a list of strings and entity objects ({"type", "text"}); the
parts are concatenated as they are, so a text_link contributes its visible text.
Times come from `date_unixtime`, as UTC.
"""

from __future__ import annotations

from typing import Any

from botsmith.chats.message import ChatMessage, clean_author, compose
from botsmith.chats.export_format import ExportFormat, ExportInput
from botsmith.chats.timestamps import from_unix, parse_iso
from botsmith.errors import BotsmithError

_MEDIA_TYPES = {"sticker": "[sticker]", "animation": "[gif]", "video_file": "[video]", "video_message": "[video]",
                "voice_message": "[audio]", "audio_file": "[audio]"}


def sniff(source: ExportInput) -> bool:
    head = source.head.lstrip("\ufeff").lstrip()
    if not head.startswith("{"):
        return False
    single = '"messages"' in head and ('"date_unixtime"' in head or '"type": "personal_chat"' in head
                                       or '"type": "private_' in head or '"type": "saved_messages"' in head)
    full = '"chats"' in head and '"list"' in head and ('"personal_information"' in head or '"about"' in head)
    return single or full


def parse(source: ExportInput) -> list[ChatMessage]:
    data = source.json
    if not isinstance(data, dict):
        raise BotsmithError(f"{source.path}: a Telegram export is a JSON object")
    chats = [data] if isinstance(data.get("messages"), list) else _chat_list(data)
    if not chats:
        raise BotsmithError(f"{source.path}: a Telegram export needs 'messages' or 'chats.list'")
    messages = []
    for chat in chats:
        name = str(chat.get("name") or chat.get("id") or "")
        for index, item in enumerate(chat.get("messages") or []):
            messages.append(_message(item, name, f"{source.path} chat {name!r} message {index + 1}"))
    return messages


def _chat_list(data: dict[str, Any]) -> list[dict[str, Any]]:
    chats = []
    for key in ("chats", "left_chats"):
        section = data.get(key) or {}
        chats += [chat for chat in section.get("list") or [] if isinstance(chat, dict)]
    return chats


def _message(item: dict[str, Any], chat: str, where: str) -> ChatMessage:
    if "date_unixtime" in item:
        timestamp, when = from_unix(item["date_unixtime"], where)
    else:
        parsed = parse_iso(str(item.get("date", "")))
        if parsed is None:
            raise BotsmithError(f"{where}: no date_unixtime and no readable date")
        timestamp, when = parsed
    service = item.get("type", "message") != "message"
    author = item.get("from") if not service else item.get("actor")
    if not isinstance(author, str):
        author = str(item.get("from_id") or item.get("actor_id") or "")
    return ChatMessage(
        clean_author(author), timestamp, when, compose(text_of(item.get("text", "")), _media(item)), chat=chat,
        system=service, forwarded=bool(item.get("forwarded_from") or item.get("forwarded_from_id")),
        reply=item.get("reply_to_message_id") is not None, edited=bool(item.get("edited")),
        bot=bool(item.get("via_bot")),
    )


def text_of(text: Any) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in text
                       if isinstance(part, (str, dict)))
    return ""


def _media(item: dict[str, Any]) -> list[str]:
    if "photo" in item:
        return ["[image]"]
    media_type = item.get("media_type")
    if media_type:
        return [_MEDIA_TYPES.get(str(media_type), "[media]")]
    if "file" in item:
        return ["[file]"]
    return []


FORMAT = ExportFormat("telegram", "Telegram Desktop result.json (one chat or a full export)", sniff, parse)
