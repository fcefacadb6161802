"""WhatsApp "Export chat" text files, Android and iOS.

    Android: 15/01/2024, 15:04 - Alice: text        (or 1/15/24, 3:04 PM - ...)
    iOS:     [1/15/24, 3:04:05 PM] Alice: text      (U+200E marks before system and media lines)

Lines that do not start with a date continue the previous message. Day-first or
month-first is decided for the whole file from the data. A sender's name may itself
contain ": ", so the split between name and text is chosen from the names the file
proves it has.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from botsmith.chats.message import ChatMessage, clean_author, compose
from botsmith.chats.export_format import ExportFormat, ExportInput
from botsmith.chats.timestamps import NUMERIC_DATE, choose_order, local_iso, split_local
from botsmith.chats.whatsapp_text import classify_body, is_notice

_MARKS = "\u200e\u200f\u202a\u202c\ufeff"
_ANDROID = re.compile(rf"^[{_MARKS}]*(?P<stamp>{NUMERIC_DATE})\s*[-\u2013]\s(?P<rest>.*)$", re.S)
_IOS = re.compile(rf"^[{_MARKS}]*\[(?P<stamp>\d[^\[\]]{{5,40}})\]\s(?P<rest>.*)$", re.S)


@dataclass
class _Raw:
    line: int
    stamp: str
    rest: str
    more: list[str]


def _variant(lines: list[str]) -> re.Pattern[str] | None:
    counts = {pattern: sum(1 for line in lines if (m := pattern.match(line)) and split_local(m["stamp"]))
              for pattern in (_ANDROID, _IOS)}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else None


def sniff(source: ExportInput) -> bool:
    lines = source.head.splitlines()[:200]
    pattern = _variant(lines)
    if pattern is None:
        return False
    # An export starts with a dated line; long pasted messages may make dated lines rare after it.
    filled = [line for line in lines if line.strip()]
    starts = [line for line in filled if pattern.match(line)]
    return bool(filled) and (bool(pattern.match(filled[0])) or len(starts) >= max(2, len(filled) // 10))


def _raw_messages(text: str) -> tuple[list[_Raw], bool]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    pattern = _variant(lines[:2000]) or _ANDROID
    raws: list[_Raw] = []
    for number, line in enumerate(lines, start=1):
        match = pattern.match(line)
        if match and split_local(match["stamp"]) is not None:
            raws.append(_Raw(number, match["stamp"], match["rest"], []))
        elif raws:
            raws[-1].more.append(line)
    return raws, pattern is _IOS


def parse(source: ExportInput) -> list[ChatMessage]:
    raws, ios = _raw_messages(source.text)
    stamps = [split_local(raw.stamp) for raw in raws]
    order = choose_order(stamps)  # type: ignore[arg-type]
    authors = _known_authors([raw.rest for raw in raws], android=not ios)
    messages = []
    for raw, stamp in zip(raws, stamps):
        timestamp, when = local_iso(stamp, order, f"{source.path} line {raw.line}")  # type: ignore[arg-type]
        author, first = _split_author(raw.rest, authors, android=not ios)
        body = classify_body([first, *raw.more] if author is not None else [raw.rest, *raw.more],
                             ios=ios, has_author=author is not None)
        message = ChatMessage(clean_author(author or ""), timestamp, when, compose(body.text, body.media),
                              system=body.system, deleted=body.deleted, edited=body.edited)
        messages.append(message)
    return messages


def _candidates(rest: str) -> list[str]:
    return [rest[:match.start()] for match in re.finditer(": ", rest) if match.start() > 0]


def _known_authors(rests: list[str], *, android: bool) -> tuple[Counter[str], Counter[str]]:
    """Names proven by lines with only one possible split, and how often each prefix starts a line.

    Android notices ('X changed the subject to "a: b"') prove nothing."""
    sure: Counter[str] = Counter()
    prefixes: Counter[str] = Counter()
    for rest in rests:
        options = _candidates(rest)
        if len(options) == 1 and not (android and is_notice(rest)):
            sure[options[0]] += 1
        prefixes.update(options)
    return sure, prefixes


def _split_author(rest: str, known: tuple[Counter[str], Counter[str]], *, android: bool) -> tuple[str | None, str]:
    """(author, text), or (None, rest) for a system line with no sender."""
    sure, prefixes = known
    options = _candidates(rest)
    if not options:
        return None, rest
    proven = [name for name in options if name in sure]
    if proven:
        name = proven[-1]
    elif android and is_notice(rest):
        return None, rest
    else:
        # A name with ": " in it starts every one of its lines, as often as its first part does.
        name = options[0]
        for option in options[1:]:
            if prefixes[option] == prefixes[options[0]] >= 2:
                name = option
    return name, rest[len(name) + 2:]


FORMAT = ExportFormat("whatsapp", "WhatsApp 'Export chat' text (Android and iOS)", sniff, parse)
