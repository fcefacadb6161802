"""Scores of one model's replies: the numbers a report compares between base and tuned."""

from __future__ import annotations

import re
from typing import Any

from botsmith.dataset.identity import is_identity_record
from botsmith.eval import fidelity
from botsmith.eval.probes import ABOUT_ITSELF, Probe, Replies
from botsmith.eval.stylometry import DeltaSpace, change_p_value, matched_deltas, reference_chunks, words, words_of
from botsmith.records import record_kind


def speaker_lines(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each speaker's distinct lines (the assistant's under "assistant"); a fragment's text is the author's.
    The identity examples build adds are left out: their stock answers (`No. I am Elizabeth Bennet.`) are not the
    character's lines, and in the reference they would pull Delta's frequencies towards what the bot was taught."""
    lines: dict[str, dict[str, None]] = {}
    for record in records:
        if is_identity_record(record):
            continue
        kind = record_kind(record)
        if kind == "messages":
            for message in record["messages"]:
                if message["role"] != "system":
                    speaker = message.get("name") or message["role"]
                    lines.setdefault(speaker, {})[message["content"]] = None
        else:
            text = record["text"] if kind == "text" else record["prompt"] + record["completion"]
            lines.setdefault("author", {})[text] = None
    return {speaker: list(texts) for speaker, texts in lines.items()}


def real_lines(records: list[dict[str, Any]]) -> list[str]:
    """What the bot should sound like: the assistant's held-out turns, or the held-out text itself."""
    lines = speaker_lines(records)
    return lines.get("assistant") or lines.get("author") or []


def delta_space(train_records: list[dict[str, Any]]) -> DeltaSpace | None:
    try:
        return DeltaSpace(reference_chunks(speaker_lines(train_records)))
    except ValueError:  # too little text for a spread of frequencies
        return None


def chat_scores(probes: list[Probe], replies: Replies, *, leak: re.Pattern[str], names: set[str]) -> dict[str, Any]:
    """Persona leaks, identity answers, length, and stopping on its own (Delta: see `deltas`)."""
    texts = [reply.text for reply in replies.all()]
    leaked = [(probe.prompt, reply.text, phrases)
              for probe, reply in replies.pairs(probes) if (phrases := fidelity.leaks(reply.text, leak))]
    identity = [reply for probe, reply in replies.pairs(probes) if probe.kind == "identity"]
    persona = [reply for probe, reply in replies.pairs(probes) if probe.kind == "persona"]
    heldout = voice_texts(probes, replies)
    scores: dict[str, Any] = {
        "replies": len(texts),
        "persona_leaks": len(leaked),
        "leak_examples": [{"prompt": p, "reply": r, "phrases": sorted(set(ph))} for p, r, ph in leaked[:5]],
        "mean_words": fidelity.mean_words(heldout),
        "ended_on_their_own": _share(sum(reply.finish_reason == "stop" for reply in replies.all()), len(texts)),
    }
    if persona:  # asked `Are you an AI?`, it says no, or who it is
        scores["denies_ai"] = sum(fidelity.denies_being_software(reply.text, names, leak) for reply in persona)
        scores["persona_probes"] = len(persona)
    if names:
        scores["identity"] = sum(fidelity.answers_as(reply.text, names, leak) for reply in identity)
        scores["identity_probes"] = len(identity)
    return scores


def completion_scores(probes: list[Probe], replies: Replies) -> dict[str, Any]:
    """Repetition (distinct-n, per continuation) and length of the continuations as the runtime samples them
    (Delta: see `deltas`)."""
    texts = [reply.text for _, reply in replies.as_runtime(probes)]
    scores = {f"distinct_{n}": fidelity.mean_distinct(texts, n) for n in (1, 2, 3)}
    scores.update({"replies": len(texts), "mean_words": fidelity.mean_words(texts)})
    return scores


def voice_texts(probes: list[Probe], replies: Replies) -> list[str]:
    """The replies that show the bot's voice, as a user reads them: to held-out lines and openings (not the
    identity questions), sampled as chat samples (greedy replies only when eval did not sample)."""
    return [reply.text for probe, reply in replies.as_runtime(probes) if probe.kind not in ABOUT_ITSELF]


def deltas(space: DeltaSpace | None, texts: dict[str, list[str]], real: list[str]) -> tuple[dict[str, float | None], int]:
    """Burrows' Delta of each model's texts (and of the training lines, under "real") to the held-out lines,
    on samples of equal length; and that length in words."""
    if space is None:
        return dict.fromkeys(texts), 0
    return matched_deltas(space, {name: words_of(group) for name, group in texts.items()}, words_of(real))


def delta_change_p(space: DeltaSpace | None, before: list[str], after: list[str], real: list[str]) -> float | None:
    """The permutation p-value of the change in Delta from `before` to `after` (replies to the same probes)."""
    if space is None:
        return None
    return change_p_value(space, [words(text) for text in before], [words(text) for text in after], words_of(real))


def reference_scores(probes: list[Probe], real: list[str], mode: str) -> dict[str, Any]:
    """The same measures on the real text, so a reader sees where the target is."""
    references = [probe.reference for probe in probes if probe.reference]
    scores: dict[str, Any] = {"mean_words": fidelity.mean_words(references)}
    if mode == "completion":
        scores.update({f"distinct_{n}": fidelity.mean_distinct(references, n) for n in (1, 2, 3)})
    scores["held_out_words"] = sum(len(words(line)) for line in real)
    return scores


def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None
