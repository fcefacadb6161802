"""Fixed probes and the replies of a model to them, through the engine `chat` and `serve` use.

Chat and dialogue bots get the generic identity questions and the inputs of held-out
validation examples (with the character's real reply beside them); completion bots get
the openings of held-out fragments (with the real continuation). Every probe is answered
as the bot's runtime answers it: sampled with the bot's [generate] settings, with a fixed
seed so two runs of eval see the same samples. The identity questions are asked IDENTITY_SEEDS
times, each with its own seed, and also answered greedily once (the model's likeliest
self-description); held-out probes greedily only when asked, since greedy decoding of a small
model collapses into short stock phrases no user reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botsmith.eval.fidelity import IDENTITY_PROBES, PERSONA_PROBES
from botsmith.records import record_kind

OPENING_WORDS = 40  # words of a held-out fragment given as the opening to continue
REFERENCE_WORDS = 80  # words of the real text shown as the continuation
SAMPLE_SEED = 1234
# Sampled answers per identity or persona question. With one (6 replies in all, with the greedy ones) a bot that
# names itself half the time scored anywhere from 1/6 to 5/6 (Mr. Darcy's default bot: 2/6, and 4/12 with three).
# With three, the default Elizabeth bot leaked to the persona questions in 1/12 and 3/12 at two eval seeds, where
# 150 samples of the same questions found 19 %, and a second training seed 28 % (docs/eval.md): ten give 33
# replies a group, the rate within about 7 points.
IDENTITY_SEEDS = 10


@dataclass
class Probe:
    kind: str  # identity | persona | heldout | opening
    messages: list[dict[str, Any]]  # the conversation to reply to (chat bots); empty for openings
    prompt: str  # what is shown: the last user message, or the opening
    reference: str | None = None  # the real reply or continuation


@dataclass
class Reply:
    text: str
    finish_reason: str | None
    tokens: int

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "finish_reason": self.finish_reason, "tokens": self.tokens}


@dataclass
class Replies:
    """Replies by probe index (None where a probe was not answered that way)."""

    greedy: list[Reply | None] = field(default_factory=list)
    sampled: list[Reply | None] = field(default_factory=list)

    def all(self) -> list[Reply]:
        return [reply for reply in self.greedy + self.sampled if reply is not None]

    def pairs(self, probes: list[Probe]) -> Iterator[tuple[Probe, Reply]]:
        """(probe, reply) for every reply, greedy ones first."""
        for answers in (self.greedy, self.sampled):
            yield from ((probe, reply) for probe, reply in zip(probes, answers) if reply is not None)

    def as_runtime(self, probes: list[Probe]) -> list[tuple[Probe, Reply]]:
        """Each probe's reply as chat would give it: the sampled one, or the greedy one when eval did not sample."""
        return [(probe, sampled or greedy) for probe, greedy, sampled
                in zip(probes, self.greedy, self.sampled) if sampled or greedy]


def spread(items: list[Any], count: int) -> list[Any]:
    """`count` items evenly spread over the list (held-out examples come in chapter order); past its length,
    every item again, in order: each probe has its own seed, so a second round gives other samples (more
    words for Delta from a small validation split)."""
    if count <= 0:
        return []
    if count >= len(items):
        return [items[index % len(items)] for index in range(count)] if items else []
    step = len(items) / count
    return [items[int(index * step)] for index in range(count)]


# Probes asked of the bot itself rather than taken from the book: answered greedily once and with each seed.
ABOUT_ITSELF = ("identity", "persona")


def chat_probes(records: list[dict[str, Any]], count: int, identity_seeds: int = IDENTITY_SEEDS) -> list[Probe]:
    """The identity questions, each `identity_seeds` times (1 where eval does not sample), `count` held-out
    conversations cut before their last reply, then the persona questions (`Are you an AI?`) as the identity ones
    (last, so that the held-out probes keep the seeds they had before there were any)."""
    probes = _about_itself("identity", IDENTITY_PROBES, identity_seeds)
    usable = [r for r in records if record_kind(r) == "messages" and _last_reply_index(r["messages"]) > 0]
    for record in spread(_one_per_reply(usable), count):
        messages = record["messages"]
        cut = _last_reply_index(messages)
        context = [dict(message) for message in messages[:cut]]
        probes.append(Probe("heldout", context, _shown(context[-1]), messages[cut]["content"]))
    return probes + _about_itself("persona", PERSONA_PROBES, identity_seeds)


def _about_itself(kind: str, questions: tuple[str, ...], times: int) -> list[Probe]:
    return [Probe(kind, [{"role": "user", "content": question}], question) for question in questions for _ in range(times)]


def _one_per_reply(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per real reply, the one with the most context, in first-seen order: a window ends on the
    reply its own last pair ends on (9 of the 45 P&P validation examples), and asking for one line twice
    would spend probes on it that other lines could use."""
    longest: dict[str, dict[str, Any]] = {}
    for record in records:
        reply = record["messages"][_last_reply_index(record["messages"])]["content"]
        if reply not in longest or len(record["messages"]) > len(longest[reply]["messages"]):
            longest[reply] = record
    return list(longest.values())


def _last_reply_index(messages: list[dict[str, Any]]) -> int:
    """Index of the last assistant turn that follows a user turn (0: none)."""
    for index in range(len(messages) - 1, 0, -1):
        if messages[index]["role"] == "assistant" and messages[index - 1]["role"] == "user":
            return index
    return 0


def _shown(message: dict[str, Any]) -> str:
    return f"{message['name']}: {message['content']}" if message.get("name") else message["content"]


def completion_probes(records: list[dict[str, Any]], count: int) -> list[Probe]:
    """Openings of held-out fragments (or prompts of prompt/completion pairs) with what really follows."""
    probes = []
    for record in spread(records, count):
        if record_kind(record) == "prompt_completion":
            probes.append(Probe("opening", [], record["prompt"], record["completion"]))
            continue
        words = record["text"].split()
        if len(words) > OPENING_WORDS + 10:
            opening = " ".join(words[:OPENING_WORDS])
            probes.append(Probe("opening", [], opening, " ".join(words[OPENING_WORDS:OPENING_WORDS + REFERENCE_WORDS])))
    return probes


def answer(chatbot: Any, probes: list[Probe], *, greedy: bool = False, sampled: bool = True,
           max_new_tokens: int, seed: int = SAMPLE_SEED) -> Replies:
    """Each probe sampled as the bot's runtime samples (seed `seed` + probe index) and, the first time an
    identity question is asked or when `greedy`, greedily (greedy decoding would only repeat itself);
    `sampled=False` leaves greedy replies only. All of them go to the engine at once (`Chatbot.replies`), which
    decodes several side by side."""
    wanted = _wanted(probes, greedy=greedy, sampled=sampled)
    requests = [_request(probes[index], max_new_tokens, seed + index, is_greedy) for index, is_greedy in wanted]
    replies = Replies(greedy=[None] * len(probes), sampled=[None] * len(probes))
    for (index, is_greedy), (text, stats) in zip(wanted, chatbot.replies(requests)):
        answers = replies.greedy if is_greedy else replies.sampled
        answers[index] = Reply(text.strip(), stats.finish_reason, stats.completion_tokens)
    return replies


def _wanted(probes: list[Probe], *, greedy: bool, sampled: bool) -> list[tuple[int, bool]]:
    """(probe index, greedy?) of every reply `answer` asks for."""
    wanted: list[tuple[int, bool]] = []
    asked: set[str] = set()
    for index, probe in enumerate(probes):
        repeated = probe.kind in ABOUT_ITSELF and probe.prompt in asked
        asked.add(probe.prompt)
        if (greedy or probe.kind in ABOUT_ITSELF or not sampled) and not repeated:
            wanted.append((index, True))
        if sampled:
            wanted.append((index, False))
    return wanted


def _request(probe: Probe, max_new_tokens: int, seed: int, greedy: bool) -> Any:
    from botsmith.chat import Request

    settings: dict[str, Any] = {"max_new_tokens": max_new_tokens, "seed": seed}
    if greedy:
        settings["temperature"] = 0.0
    if probe.kind == "opening":
        return Request(text=probe.prompt, sampling=settings)
    return Request(messages=probe.messages, sampling=settings)
