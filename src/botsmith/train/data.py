"""Dataset records -> token ids with labels: the loss goes only where the bot should learn.

- conversations: assistant turns only, including their end-of-turn marker (so the bot
  learns to stop); never user turns, system prompts, role headers or padding. The
  chat template is the base model's own, through `botsmith.chat_format`.
- prompt/completion: the completion, followed by the end-of-sequence token.
- text fragments: every token. No end-of-sequence token is added: fragments are
  windows cut from longer texts, and teaching the model to stop where a window
  happens to end would teach it to stop mid-story.

Labels use -100 for "no loss" (the PyTorch cross-entropy convention).

An assistant turn's `rejected` replies become unwanted tokens: each is rendered in the
turn's place, and the first token where it parts from the real reply (after "No. I am",
" an" of "No. I am an AI assistant.") is one the loss pushes down at that position
(unlikelihood; loss.py). The tokens they share with the reply are the reply's, and get
its ordinary loss; the rest of a rejected reply never comes once its first token does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.errors import BotsmithError
from botsmith.records import read_records, record_kind

IGNORE = -100

# Which record kinds each bot mode trains on.
MODE_KINDS = {
    "completion": {"text", "prompt_completion"},
    "dialogue": {"messages"},
    "chat": {"messages"},
}


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    unwanted: tuple[tuple[int, int], ...] = ()  # (index, token): `token` must not be the one at `index`

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class TokenizedSplit:
    name: str
    examples: list[Example] = field(default_factory=list)
    truncated: int = 0  # examples cut at max_length
    dropped: int = 0  # examples with nothing left to learn after the cut
    records: int = 0

    @property
    def tokens(self) -> int:
        return sum(len(example) for example in self.examples)

    @property
    def target_tokens(self) -> int:
        return sum(sum(1 for label in example.labels if label != IGNORE) for example in self.examples)

    @property
    def unwanted_tokens(self) -> int:
        return sum(len(example.unwanted) for example in self.examples)


def load_split(path: Path, mode: str) -> list[dict[str, Any]]:
    """Read a dataset file and check it was made for this bot's mode."""
    if not path.is_file():
        raise BotsmithError(f"{path}: no dataset", hint="build it first: botsmith build")
    records = read_records(path)
    allowed = MODE_KINDS[mode]
    for number, record in enumerate(records, start=1):
        kind = record_kind(record)
        if kind not in allowed:
            raise BotsmithError(
                f"{path.name} record {number}: a '{kind}' record, but this bot's mode is '{mode}' "
                f"(it trains on {' or '.join(sorted(allowed))} records)",
                hint="rebuild the dataset with: botsmith build",
            )
    return records


class Tokenizer:
    """Turns records into examples with loss masks, for one tokenizer and chat format."""

    def __init__(self, tokenizer: Any, chat_format: Any, *, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.chat_format = chat_format  # with the bot's system prompt, for records that carry none
        self.max_length = max_length
        self.prefix = bos_prefix(tokenizer)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def example(self, record: dict[str, Any]) -> Example:
        kind = record_kind(record)
        if kind == "messages":
            ids, labels = self._encode_spans(self._conversation_spans(record["messages"]))
            return Example(ids, labels, self._unwanted(record["messages"], ids, labels))
        if kind == "prompt_completion":
            ids, labels = self._encode_spans([(record["prompt"], False), (record["completion"], True)])
            if self.tokenizer.eos_token_id is not None:
                ids.append(self.tokenizer.eos_token_id)
                labels.append(self.tokenizer.eos_token_id)
            return Example(ids, labels)
        return Example(*self._encode_spans([(record["text"], True)]))

    def _conversation_spans(self, messages: list[dict[str, Any]]) -> list[tuple[str, bool]]:
        return [(segment.text, segment.trainable) for segment in self.chat_format.segments(messages)]

    def _encode_spans(self, spans: list[tuple[str, bool]]) -> tuple[list[int], list[int]]:
        ids, labels = list(self.prefix), [IGNORE] * len(self.prefix)
        for text, trainable in spans:
            piece = self.encode(text)
            ids += piece
            labels += piece if trainable else [IGNORE] * len(piece)
        return ids, labels

    def _unwanted(self, messages: list[dict[str, Any]], ids: list[int],
                  labels: list[int]) -> tuple[tuple[int, int], ...]:
        """Each rejected reply rendered in its turn's place: the first token where it parts from `ids`."""
        found = set()
        for index, message in enumerate(messages):
            for text in message.get("rejected", ()):
                other = [*messages[:index], {"role": message["role"], "content": text}, *messages[index + 1:]]
                other_ids, _ = self._encode_spans(self._conversation_spans(other))
                split = next((i for i, (a, b) in enumerate(zip(ids, other_ids)) if a != b), None)
                # a reply's own token at that point: the rejected reply parts inside it, not in the template
                if split is not None and labels[split] != IGNORE:
                    found.add((split, other_ids[split]))
        return tuple(sorted(found))

    def split(self, name: str, records: list[dict[str, Any]]) -> TokenizedSplit:
        result = TokenizedSplit(name, records=len(records))
        for record in records:
            example = self.example(record)
            if len(example) > self.max_length:
                result.truncated += 1
                example = Example(example.input_ids[: self.max_length], example.labels[: self.max_length],
                                  tuple(item for item in example.unwanted if item[0] < self.max_length))
            if all(label == IGNORE for label in example.labels[1:]):
                result.dropped += 1
                continue
            result.examples.append(example)
        return result


def bos_prefix(tokenizer: Any) -> list[int]:
    """The tokens the tokenizer itself puts first (a BOS for Llama-style tokenizers, nothing for ChatML ones)."""
    with_special = tokenizer("a", add_special_tokens=True)["input_ids"]
    without = tokenizer("a", add_special_tokens=False)["input_ids"]
    return with_special[: len(with_special) - len(without)] if with_special[-len(without):] == without else []


def tokenize_dataset(dataset_dir: Path, tokenizer: Tokenizer, mode: str) -> tuple[TokenizedSplit, TokenizedSplit]:
    """Both splits, checked: enough to train on, and not made for another mode."""
    train = tokenizer.split("train", load_split(dataset_dir / "train.jsonl", mode))
    validation_path = dataset_dir / "validation.jsonl"
    validation = tokenizer.split("validation", load_split(validation_path, mode) if validation_path.is_file() else [])
    _check_usable(train, dataset_dir / "train.jsonl", tokenizer.max_length)
    return train, validation


def _check_usable(split: TokenizedSplit, path: Path, max_length: int) -> None:
    if split.records == 0:
        raise BotsmithError(f"{path}: the dataset is empty", hint="add sources and run botsmith build")
    if not split.examples:
        raise BotsmithError(
            f"{path}: no example has anything to learn within max_length={max_length} tokens "
            f"({split.dropped} of {split.records} lose every target token to the cut)",
            hint="raise [train] max_length",
        )
    if split.target_tokens < 2:
        raise BotsmithError(f"{path}: too small to train on ({split.target_tokens} target tokens)",
                            hint="add more text and run botsmith build")
