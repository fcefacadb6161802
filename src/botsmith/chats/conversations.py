"""Chat exports -> training conversations, in the voice of one person (`--me`).

Per chat: usable messages (a person's words or media, not system notices, deletions
or forwards) are split into sessions at pauses longer than the session gap (the full
time difference, days included); consecutive messages of one author within the merge
window become one turn (line breaks kept); my turns are the assistant's, everyone
else's the user's (named in group chats). An example starts on a user turn and ends
on an assistant turn; long sessions are cut at turn boundaries into windows that fit
`[train] max_length` tokens of the base model. Assistant turns that are only a media
placeholder are dropped: there are no words in them to learn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botsmith.bot_folder import BotFolder
from botsmith.chats.message import ChatMessage, is_placeholder_only, sort_key
from botsmith.chats.registry import ChatParse, ExportInput, parse_chat
from botsmith.chats.scrub import Scrubber
from botsmith.chats.store import chats_dir, list_exports, stored_formats
from botsmith.chats.windows import TokenCounter, fit_windows
from botsmith.config import BotConfig
from botsmith.errors import BotsmithError
from botsmith.records import Turn, conversation, turn


@dataclass
class _Block:
    """Consecutive messages of one author, merged."""

    author: str
    text: str
    last: ChatMessage


def build_chat_examples(folder: BotFolder, config: BotConfig, *, log: Callable[[str], None] | None = None
                        ) -> list[dict[str, Any]]:
    """Conversation records for every export in data/raw/chats (meta.group = session id)."""
    log = log or (lambda line: None)
    parses = read_exports(folder, config)
    for parse in parses:
        for warning in parse.warnings:
            log(f"warning: {warning}")
    records = [record for parse in parses if parse.format == "jsonl" for record in _passthrough(parse)]
    chats = [parse for parse in parses if parse.format != "jsonl"]
    if chats:
        me = resolve_me(chats, config.chats.me, log)
        counter = TokenCounter.for_config(config, folder.root)
        for parse in chats:
            records += _examples(parse, me, config, counter)
    if not records:
        raise BotsmithError(f"{chats_dir(folder)}: no training conversations came out of the exports",
                            hint="check --me and that the exports hold replies to your messages")
    log(f"Chat exports: {len(parses)} file(s), {len(records)} conversation(s)")
    return records


def read_exports(folder: BotFolder, config: BotConfig) -> list[ChatParse]:
    exports = list_exports(folder)
    if not exports:
        raise BotsmithError(f"{chats_dir(folder)}: no chat exports in this bot",
                            hint="add them with 'botsmith chats add FILE'")
    formats = stored_formats(chats_dir(folder))
    return [parse_chat(path, formats.get(path.name) or config.chats.format or None) for path in exports]


def normalize_name(name: str) -> str:
    """Names compare without case, a leading @, or a Discord #1234 discriminator."""
    name = name.strip().lstrip("@").casefold()
    return re.sub(r"#\d{4}$", "", name).strip()


def resolve_me(parses: list[ChatParse], aliases: list[str], log: Callable[[str], None]) -> set[str]:
    """The normalised aliases that appear; none appearing is an error listing who does."""
    counts = Counter(m.author for parse in parses for m in parse.messages if m.printed)
    present = {normalize_name(author) for author in counts}
    wanted = {normalize_name(alias) for alias in aliases if alias.strip()}
    found = wanted & present
    top = ", ".join(f"{name} ({count})" for name, count in counts.most_common(8))
    if not wanted:
        raise BotsmithError("chat mode needs to know which person you are",
                            hint=f"pass --me NAME or set [chats] me in botsmith.toml; most frequent authors: {top}")
    if not found:
        raise BotsmithError(f"--me {', '.join(repr(a) for a in aliases)}: never appears as an author in the chat "
                            f"exports", hint=f"most frequent authors: {top}")
    for alias in aliases:
        if normalize_name(alias) not in present:
            log(f"warning: --me alias {alias!r} does not appear in the exports")
    return found


def _usable(message: ChatMessage, config: BotConfig) -> bool:
    return message.printed and (config.chats.include_bots or not message.bot)


def _examples(parse: ChatParse, me: set[str], config: BotConfig, counter: TokenCounter) -> list[dict[str, Any]]:
    by_chat: dict[str, list[ChatMessage]] = {}
    for message in parse.messages:
        if _usable(message, config):
            by_chat.setdefault(message.chat, []).append(message)
    records = []
    for chat, messages in by_chat.items():
        authors = {m.author for m in messages}
        group = len(authors) > 2
        scrubber = Scrubber(config.chats.scrub_emails, config.chats.scrub_phones, config.chats.scrub_urls,
                            config.chats.scrub_names, me=me)
        scrubber.add_people(sorted((a for a in authors if normalize_name(a) not in me), key=str.casefold))
        for index, session in enumerate(split_sessions(messages, config.chats.session_gap_minutes)):
            turns = session_turns(session, me, config.chats.merge_window_minutes,
                                  named=group and config.chats.name_speakers, scrubber=scrubber)
            session_id = f"{parse.path.name}#{chat}#{index + 1}" if chat else f"{parse.path.name}#{index + 1}"
            for window in fit_windows(turns, counter, config.train.max_length):
                records.append(conversation(window, source=parse.path.name, group=session_id))
    return records


def split_sessions(messages: list[ChatMessage], gap_minutes: float) -> list[list[ChatMessage]]:
    """Cut where the pause between two messages exceeds the gap (timedelta.total_seconds, days included)."""
    sessions: list[list[ChatMessage]] = []
    for message in messages:
        if sessions and _minutes_between(sessions[-1][-1], message) <= gap_minutes:
            sessions[-1].append(message)
        else:
            sessions.append([message])
    return sessions


def _minutes_between(earlier: ChatMessage, later: ChatMessage) -> float:
    if earlier.when is None or later.when is None:
        return 0.0
    return (sort_key(later)[1] - sort_key(earlier)[1]).total_seconds() / 60


def session_turns(session: list[ChatMessage], me: set[str], merge_minutes: float, *, named: bool,
                  scrubber: Scrubber) -> list[Turn]:
    """Merged turns of one session, trimmed to start on a user turn and end on an assistant turn."""
    blocks: list[_Block] = []
    for message in session:
        last = blocks[-1] if blocks else None
        if last and last.author == message.author and _minutes_between(last.last, message) <= merge_minutes:
            last.text += "\n" + message.text
            last.last = message
        else:
            blocks.append(_Block(message.author, message.text, message))
    turns: list[Turn] = []
    for block in blocks:
        mine = normalize_name(block.author) in me
        if mine and is_placeholder_only(block.text):
            continue  # a photo I sent has no words to learn from
        name = None if mine or not named else scrubber.name(block.author)
        turns.append(turn("assistant" if mine else "user", scrubber.text(block.text), name))
    while turns and turns[0]["role"] != "user":
        turns.pop(0)
    while turns and turns[-1]["role"] != "assistant":
        turns.pop()
    return turns


def _passthrough(parse: ChatParse) -> list[dict[str, Any]]:
    """OpenAI / ShareGPT JSONL lines become records as they are."""
    from botsmith.chats.jsonl import read_conversations

    records = []
    for number, turns in enumerate(read_conversations(ExportInput(parse.path)), start=1):
        messages = [turn(t["role"], t["content"], t.get("name")) for t in turns]  # type: ignore[arg-type]
        if any(m["role"] == "assistant" for m in messages):
            records.append(conversation(messages, source=parse.path.name, group=f"{parse.path.name}#{number}"))
    return records
