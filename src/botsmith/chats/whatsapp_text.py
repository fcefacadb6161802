"""What a WhatsApp message body means: media lines, deletion and edit markers, system notices.

iOS writes media as "<word> omitted" (or "<attached: FILE>") on lines starting with
U+200E, and system notices as messages whose text starts with U+200E. Android writes
"<Media omitted>", "FILE (file attached)", and system notices as lines with no sender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from botsmith.chats.message import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, extension_of

_MARKS = str.maketrans("", "", "\u200e\u200f\u2068\u2069\u202a\u202c")
_OMITTED = {"image": "[image]", "photo": "[image]", "video": "[video]", "audio": "[audio]", "gif": "[gif]",
            "sticker": "[sticker]", "document": "[file]", "contact card": "[file]", "file": "[file]"}
_IOS_OMITTED = re.compile(r"(?:^|\s)(image|photo|video|audio|GIF|gif|sticker|document|Contact card|contact card|file)"
                          r" omitted$")
_MEDIA_OMITTED = re.compile(r"^<(?:Media omitted|media omitted|Medien ausgeschlossen|Multimedia omitido"
                            r"|Médias omis|Media weggelaten|Mídia oculta|Media omessi|Media dihilangkan)>$")
_ATTACHED = re.compile(r"^<attached: (?P<name>.+)>$")
_FILE_ATTACHED = re.compile(r"^(?P<name>\S.*?\.\w{1,5}) \(file attached\)$")
_EDITED = re.compile(r"\s*<This message was edited>$")
_DELETED = re.compile(r"^(?:This message was deleted|You deleted this message|This message was deleted by admin"
                      r"|Diese Nachricht wurde gelöscht|Du hast diese Nachricht gelöscht"
                      r"|Se eliminó este mensaje|Eliminaste este mensaje)\.?$")
# Notices with fixed wording; older iOS exports write them under the chat's name without U+200E.
_FIXED = (r"(?:Messages and calls are end-to-end encrypted|Messages to this (?:chat|group) are now secured"
          r"|Missed (?:voice|video|group voice|group video) call|Waiting for this message|Your security code with"
          r"|You're now an admin|Disappearing messages|This chat is with a business account)")
_FIXED_NOTICE = re.compile(rf"^{_FIXED}.*$", re.S)
_NOTICES = re.compile(
    rf"^(?:{_FIXED}.*"
    r"|.+'s security code changed.*"
    r"|.+ (?:created group .+|created this group|added .+|removed .+|left|joined using this group's invite link"
    r"|changed the subject (?:from|to) .+|changed this group's (?:icon|settings).*|changed the group description"
    r"|deleted this group's icon|changed their phone number.*|is a contact\\.?"
    r"|turned (?:on|off) disappearing messages.*|pinned a message|is now an admin|were added|was added))$"
)
_NAME_TYPES = (("STICKER", "[sticker]"), ("GIF", "[gif]"), ("PHOTO", "[image]"), ("IMG", "[image]"),
               ("VIDEO", "[video]"), ("VID", "[video]"), ("AUDIO", "[audio]"), ("PTT", "[audio]"),
               ("AUD", "[audio]"), ("STK", "[sticker]"), ("DOC", "[file]"))
_AUDIO_MORE = {"opus", "aac", "amr", "m4a"}


@dataclass
class Body:
    text: str = ""
    media: list[str] = field(default_factory=list)
    system: bool = False
    deleted: bool = False
    edited: bool = False


def is_notice(rest: str) -> bool:
    """A sender-less Android line, or iOS's group notice, by its wording."""
    return _NOTICES.match(rest.translate(_MARKS).strip()) is not None


def classify_body(lines: list[str], *, ios: bool, has_author: bool) -> Body:
    body = Body()
    if not has_author or _FIXED_NOTICE.match(lines[0].translate(_MARKS).strip()) or (ios and lines[0].startswith("\u200e") and not _media(lines[0].translate(_MARKS).strip())
                          and not _DELETED.match(lines[0].translate(_MARKS).strip())
                          and not _EDITED.search(lines[0])):
        body.system = True
    if lines and _EDITED.search(lines[-1]):
        body.edited = True
        lines = [*lines[:-1], _EDITED.sub("", lines[-1])]
    text_lines = []
    for line in lines:
        placeholder = _media(line.translate(_MARKS).strip())
        if placeholder:
            body.media.append(placeholder)
        else:
            text_lines.append(line)
    body.text = "\n".join(text_lines)
    if _DELETED.match(body.text.translate(_MARKS).strip()):
        body.deleted = True
    return body


def _media(line: str) -> str | None:
    if _MEDIA_OMITTED.match(line):
        return "[media]"
    match = _IOS_OMITTED.search(line)
    if match:
        return _OMITTED[match[1].lower()]
    match = _ATTACHED.match(line) or _FILE_ATTACHED.match(line)
    if match:
        return placeholder_for_file(match["name"])
    return None


def placeholder_for_file(name: str) -> str:
    """WhatsApp media files are named by kind (PHOTO, VIDEO, PTT, STK...), else typed by extension."""
    upper = name.upper()
    for word, placeholder in _NAME_TYPES:
        if re.search(rf"(?:^|[-_\d]){word}(?:[-_]|$)", upper):
            return placeholder
    extension = extension_of(name)
    if extension == "webp":
        return "[sticker]"
    if extension in IMAGE_EXTENSIONS or extension in {"heic", "heif"}:
        return "[image]"
    if extension in VIDEO_EXTENSIONS or extension in {"3gp", "mkv"}:
        return "[video]"
    if extension in AUDIO_EXTENSIONS or extension in _AUDIO_MORE:
        return "[audio]"
    return "[file]"
