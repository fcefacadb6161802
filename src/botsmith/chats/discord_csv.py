"""DiscordChatExporter Csv exports: AuthorID,Author,Date,Content,Attachments,Reactions.

Newer exporters write Date in ISO 8601 (round-trip form, 7 fraction digits and the
offset); older ones wrote the same local form as PlainText. Attachments is a
comma-separated list of URLs.
"""

from __future__ import annotations

import csv
import io

from botsmith.chats.discord_common import is_system_notice
from botsmith.chats.message import ChatMessage, clean_author, compose, placeholder_for_extension
from botsmith.chats.export_format import ExportFormat, ExportInput
from botsmith.chats.timestamps import choose_order, local_iso, parse_iso, split_local
from botsmith.errors import BotsmithError

_REQUIRED = ("Author", "Date", "Content")  # older exporters had no AuthorID column


def _header(text: str) -> list[str]:
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    return next(csv.reader([first]), [])


def sniff(source: ExportInput) -> bool:
    header = _header(source.head)
    return all(column in header for column in _REQUIRED)


def parse(source: ExportInput) -> list[ChatMessage]:
    try:
        rows = list(csv.DictReader(io.StringIO(source.text.lstrip("\ufeff"), newline="")))
    except csv.Error as error:
        raise BotsmithError(f"{source.path}: not valid CSV ({error})") from None
    stamps = [split_local(row.get("Date") or "") for row in rows]
    order = choose_order([stamp for stamp in stamps if stamp is not None])
    messages = []
    for index, row in enumerate(rows):
        where = f"{source.path} row {index + 2}"
        if None in row.values():
            raise BotsmithError(f"{where}: too few columns (is the file cut short?)")
        if stamps[index] is not None:
            timestamp, when = local_iso(stamps[index], order, where)
        else:
            parsed = parse_iso(row.get("Date") or "")
            if parsed is None:
                raise BotsmithError(f"{where}: Date {row.get('Date')!r} is not a date DiscordChatExporter writes")
            timestamp, when = parsed
        media = [placeholder_for_extension(url) for url in _urls(row.get("Attachments") or "")]
        body = row["Content"]
        message = ChatMessage(clean_author(row["Author"] or ""), timestamp, when, compose(body, media))
        message.system = not media and is_system_notice(body)
        messages.append(message)
    return messages


def _urls(cell: str) -> list[str]:
    # URLs cannot contain a bare comma followed by a scheme, so split only there.
    parts = [part.strip() for part in cell.replace(", ", ",").split(",")]
    urls: list[str] = []
    for part in parts:
        if not part:
            continue
        if urls and "://" not in part and not part.startswith(("/", ".")) and "\\" not in part:
            urls[-1] += "," + part
        else:
            urls.append(part)
    return urls


FORMAT = ExportFormat("discord-csv", "DiscordChatExporter Csv (.csv)", sniff, parse)
