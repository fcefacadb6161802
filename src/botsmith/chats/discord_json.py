"""DiscordChatExporter Json exports: {"guild", "channel", "messages": [...]}.

Message `type` names the kind: Default and Reply are people talking; every other
kind (Call, ChannelPinnedMessage, RecipientAdd, GuildMemberJoin, ...) is a system
notice. Timestamps keep the offset and the fraction digits written in the file.
"""

from __future__ import annotations

import re
from typing import Any

from botsmith.chats.discord_common import full_name
from botsmith.chats.message import ChatMessage, clean_author, compose, placeholder_for_extension
from botsmith.chats.export_format import ExportFormat, ExportInput
from botsmith.chats.timestamps import parse_iso
from botsmith.errors import BotsmithError

# DiscordChatExporter's IsSystemNotification: kinds 1..18 (named, or numbered when it has no name for them).
_SYSTEM_KINDS = {"RecipientAdd", "RecipientRemove", "Call", "ChannelNameChange", "ChannelIconChange",
                 "ChannelPinnedMessage", "GuildMemberJoin", "UserPremiumGuildSubscription",
                 "UserPremiumGuildSubscriptionTier1", "UserPremiumGuildSubscriptionTier2",
                 "UserPremiumGuildSubscriptionTier3", "ChannelFollowAdd", "GuildDiscoveryDisqualified",
                 "GuildDiscoveryRequalified", "GuildDiscoveryGracePeriodInitialWarning",
                 "GuildDiscoveryGracePeriodFinalWarning", "ThreadCreated", *map(str, range(1, 19))}
_SNIFF = re.compile(r'^\s*\{\s*"guild"\s*:\s*\{', re.S)


def sniff(source: ExportInput) -> bool:
    head = source.head
    return bool(_SNIFF.match(head)) and '"channel"' in head and '"messages"' in head


def parse(source: ExportInput) -> list[ChatMessage]:
    data = source.json
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise BotsmithError(f"{source.path}: a DiscordChatExporter Json export needs a 'messages' list")
    channel = data.get("channel") or {}
    chat = str(channel.get("name") or channel.get("id") or "")
    return [_message(item, chat, f"{source.path} message {index + 1}")
            for index, item in enumerate(data["messages"])]


def _message(item: dict[str, Any], chat: str, where: str) -> ChatMessage:
    stamp = parse_iso(str(item.get("timestamp", "")))
    if stamp is None:
        raise BotsmithError(f"{where}: timestamp {item.get('timestamp')!r} is not ISO 8601")
    author = item.get("author") or {}
    media = [placeholder_for_extension(a.get("fileName") or a.get("url") or "") for a in item.get("attachments") or []]
    media += ["[sticker]" for _ in item.get("stickers") or []]
    kind = str(item.get("type", "Default"))
    message = ChatMessage(
        clean_author(full_name(str(author.get("name", "")), author.get("discriminator"))),
        stamp[0], stamp[1], compose(str(item.get("content") or ""), media), chat=chat,
        system=kind in _SYSTEM_KINDS, bot=bool(author.get("isBot")),
        edited=bool(item.get("timestampEdited")), forwarded=_is_forward(item),
    )
    message.reply = kind in ("Reply", "19") or (bool(item.get("reference")) and not message.forwarded
                                                  and not message.system)
    return message


def _is_forward(item: dict[str, Any]) -> bool:
    reference = item.get("reference") or {}
    kind = str(reference.get("type") or reference.get("kind") or "").lower()
    return kind in ("forward", "1") or bool(item.get("forwardedMessage") or item.get("messageSnapshots"))


FORMAT = ExportFormat("discord-json", "DiscordChatExporter Json (.json)", sniff, parse)
