"""What DiscordChatExporter's three text formats share: author names and system notices.

PlainText and Csv exports carry no message type, so the exporter's own fallback
texts for system messages (calls, pins, joins, leaves, renames) are recognised by
their exact wording, as DiscordChatExporter writes them.
"""

from __future__ import annotations

import re

SYSTEM_NOTICES = re.compile(
    r"^(?:Started a call that lasted [\d,.\s]+ minutes?\.?"
    r"|Started a call that lasted [\d,.\s]+ minute\(s\)\.?"
    r"|Started a call\."
    r"|Added .+ to the group\.|Added a recipient\."
    r"|Removed .+ from the group\.|Removed a recipient\.|Left the group\."
    r"|Changed the channel name: .*|Changed the channel name\.|Changed the channel icon\."
    r"|Pinned a message\.|Started a thread\.|Joined the server\."
    r")$"
)
BLOCK_MARKERS = ("{Attachments}", "{Embed}", "{Stickers}", "{Reactions}", "{Forwarded Message}")


def is_system_notice(text: str) -> bool:
    return SYSTEM_NOTICES.match(text.strip()) is not None


def full_name(name: str, discriminator: str | None) -> str:
    """The sender as PlainText and Csv exports write it: `name#1234`, or `name` for new usernames."""
    if discriminator and discriminator.strip("0"):
        return f"{name}#{discriminator}"
    return name
