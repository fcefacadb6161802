"""Generic JSONL conversations, passed through: OpenAI {"messages": [{role, content}]}
and ShareGPT {"conversations": [{from, value}]}, one conversation per line.

`chats parse` lists their turns (author = the turn's name or role); in chat mode
each line becomes one training conversation as it is, with no --me needed.
"""

from __future__ import annotations

import json
from typing import Any

from botsmith.chats.message import ChatMessage, clean_text
from botsmith.chats.export_format import TOO_DEEP, ExportFormat, ExportInput
from botsmith.errors import BotsmithError

SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "bot": "assistant",
                  "model": "assistant", "chatgpt": "assistant", "system": "system"}


def sniff(source: ExportInput) -> bool:
    for line in source.head.splitlines():
        if line.strip():
            try:
                first = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                return False
            return _turns(first) is not None
    return False


def _turns(record: Any) -> list[dict[str, str]] | None:
    """The record's turns as {role, content, name?}, or None when it is neither form."""
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("messages"), list):
        items = record["messages"]
        if all(isinstance(t, dict) and isinstance(t.get("role"), str) and isinstance(t.get("content"), str)
               for t in items):
            return [{"role": t["role"], "content": t["content"], **({"name": t["name"]} if t.get("name") else {})}
                    for t in items]
    if isinstance(record.get("conversations"), list):
        items = record["conversations"]
        if all(isinstance(t, dict) and str(t.get("from", "")).lower() in SHAREGPT_ROLES
               and isinstance(t.get("value"), str) for t in items):
            return [{"role": SHAREGPT_ROLES[t["from"].lower()], "content": t["value"]} for t in items]
    return None


def read_conversations(source: ExportInput) -> list[list[dict[str, str]]]:
    conversations = []
    for number, line in enumerate(source.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            turns = _turns(json.loads(line))
        except json.JSONDecodeError as error:
            raise BotsmithError(f"{source.path} line {number}: not valid JSON ({error.msg})") from None
        except RecursionError:
            raise BotsmithError(f"{source.path} line {number}: {TOO_DEEP}") from None
        if turns is None:
            raise BotsmithError(f"{source.path} line {number}: neither an OpenAI 'messages' nor a ShareGPT "
                                "'conversations' record")
        conversations.append(turns)
    return conversations


def parse(source: ExportInput) -> list[ChatMessage]:
    messages = []
    for number, turns in enumerate(read_conversations(source), start=1):
        for turn in turns:
            messages.append(ChatMessage(turn.get("name") or turn["role"], None, None, clean_text(turn["content"]),
                                        system=turn["role"] == "system", chat=f"conversation {number}"))
    return messages


FORMAT = ExportFormat("jsonl", "Generic JSONL conversations (OpenAI messages or ShareGPT)", sniff, parse)
