"""OpenAI response bodies: whole replies and the server-sent-event chunks of a stream."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

FINISH = {"stop": "stop", "length": "length"}


def sse(data: Any) -> str:
    return f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n"


class ReplyBuilder:
    """Shared by chat and text completions: ids, timestamps, usage."""

    object_full = ""
    object_chunk = ""
    prefix = ""

    def __init__(self, model: str, prompts: int = 1, n: int = 1) -> None:
        self.model, self.prompts, self.n = model, prompts, n
        self.id = f"{self.prefix}-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())

    def head(self, object_name: str) -> dict[str, Any]:
        return {"id": self.id, "object": object_name, "created": self.created, "model": self.model}

    def usage(self, stats: dict[int, Any]) -> dict[str, int]:
        # Every sample of one prompt reads the same prompt: count it once per prompt.
        prompt = sum(stat.prompt_tokens for index, stat in stats.items() if index % self.n == 0)
        completion = sum(stat.completion_tokens for stat in stats.values())
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def usage_chunk(self, stats: dict[int, Any]) -> dict[str, Any]:
        return {**self.head(self.object_chunk), "choices": [], "usage": self.usage(stats)}


class ChatReply(ReplyBuilder):
    object_full, object_chunk, prefix = "chat.completion", "chat.completion.chunk", "chatcmpl"

    def start_chunk(self, index: int) -> dict[str, Any]:
        return self.chunk(index, {"role": "assistant", "content": ""})

    def piece_chunk(self, index: int, text: str) -> dict[str, Any]:
        return self.chunk(index, {"content": text})

    def finish_chunk(self, index: int, stats: Any) -> dict[str, Any]:
        return self.chunk(index, {}, FINISH.get(stats.finish_reason, "stop"))

    def chunk(self, index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**self.head(self.object_chunk),
                "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    def full(self, texts: dict[int, str], stats: dict[int, Any]) -> dict[str, Any]:
        choices = [{"index": index, "message": {"role": "assistant", "content": texts.get(index, "").strip()},
                    "logprobs": None, "finish_reason": FINISH.get(stats[index].finish_reason, "stop")}
                   for index in sorted(stats)]
        return {**self.head(self.object_full), "choices": choices, "usage": self.usage(stats)}


class TextReply(ReplyBuilder):
    object_full = object_chunk = "text_completion"
    prefix = "cmpl"

    def __init__(self, model: str, prompts: list[str], n: int = 1, echo: bool = False) -> None:
        super().__init__(model, len(prompts), n)
        self.prompt_texts, self.echo = prompts, echo

    def start_chunk(self, index: int) -> dict[str, Any] | None:
        return self.piece_chunk(index, self.prompt_texts[index // self.n]) if self.echo else None

    def piece_chunk(self, index: int, text: str) -> dict[str, Any]:
        return self.chunk(index, text)

    def finish_chunk(self, index: int, stats: Any) -> dict[str, Any]:
        return self.chunk(index, "", FINISH.get(stats.finish_reason, "stop"))

    def chunk(self, index: int, text: str, finish: str | None = None) -> dict[str, Any]:
        return {**self.head(self.object_chunk),
                "choices": [{"index": index, "text": text, "logprobs": None, "finish_reason": finish}]}

    def full(self, texts: dict[int, str], stats: dict[int, Any]) -> dict[str, Any]:
        choices = []
        for index in sorted(stats):
            prefix = self.prompt_texts[index // self.n] if self.echo else ""
            choices.append({"index": index, "text": prefix + texts.get(index, ""), "logprobs": None,
                            "finish_reason": FINISH.get(stats[index].finish_reason, "stop")})
        return {**self.head(self.object_full), "choices": choices, "usage": self.usage(stats)}
