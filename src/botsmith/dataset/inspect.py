"""`inspect_dataset`: counts, a token-length histogram, random examples in their source context, warnings."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.bot_folder import open_bot
from botsmith.dataset import stats as st
from botsmith.dataset.build import STATS, TRAIN, VALIDATION
from botsmith.dataset.dedup import exact_key
from botsmith.errors import BotsmithError
from botsmith.records import read_records

CONTEXT_CHARS = 240  # shown on each side of an example's span
SPAN_CHARS = 900  # longer spans are shown with their middle elided


@dataclass
class Example:
    split: str
    record: dict[str, Any]
    context: str = ""  # the source text around the example, the example's span between ⟦ ⟧


@dataclass
class InspectReport:
    dataset_dir: Path
    counts: dict[str, int]
    kinds: dict[str, int]
    histogram: dict[str, int]
    histogram_note: str
    examples: list[Example] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)
    system_prompt: str | None = None
    fit: dict[str, int] = field(default_factory=dict)  # how build made conversations fit max_length

    def render(self) -> str:
        lines = [f"Dataset {self.dataset_dir}",
                 f"  train: {self.counts.get('train', 0)}   validation: {self.counts.get('validation', 0)}"
                 + "".join(f"   {k}: {v}" for k, v in self.counts.items() if k not in ("train", "validation"))]
        shapes = ", ".join(f"{k} {v}" for k, v in self.kinds.items() if not k.startswith("kind:"))
        made = ", ".join(f"{k[5:]} {v}" for k, v in self.kinds.items() if k.startswith("kind:"))
        lines.append(f"  records: {shapes}" + (f"   made as: {made}" if made else ""))
        if self.system_prompt:
            lines.append(f"  system prompt (training and every runtime): {self.system_prompt}")
        if self.fit:
            lines.append(f"  fitted to {self.fit['max_length']} tokens: {self.fit['windows_cut']} windows cut at turns, "
                         f"{self.fit['context_trimmed']} contexts trimmed, {self.fit['replies_split']} replies split at "
                         f"sentences; {self.fit['too_long']} still too long")
        for source, info in self.sources.items():
            detail = ", ".join(f"{k} {info[k]}" for k in ("type", "records", "utterances", "turns", "pairs", "windows")
                               if k in info)
            lines.append(f"  source {source}: {detail}")
            if info.get("unknown_speaker"):
                lines.append(f"    {info['unknown_speaker']} speech turns with no sure speaker: never the bot's "
                             "lines, left out of character examples")
            if info.get("speakers"):
                lines.append("    speakers: " + ", ".join(f"{k} {v}" for k, v in list(info["speakers"].items())[:6]))
        lines += ["", f"Token lengths ({self.histogram_note}):", *_bars(self.histogram)]
        for number, example in enumerate(self.examples, start=1):
            lines += ["", f"Example {number} ({example.split}):", *_render_record(example.record)]
            if example.context:
                lines += ["  in context:", *("    " + line for line in example.context.splitlines())]
        lines += ["", "Warnings:" if self.warnings else "No warnings.", *(f"  - {w}" for w in self.warnings)]
        return "\n".join(lines)


def _bars(histogram: dict[str, int]) -> list[str]:
    top = max(histogram.values(), default=0) or 1
    return [f"  {label:>10} {count:>7} {'#' * round(40 * count / top)}" for label, count in histogram.items()]


def _render_record(record: dict[str, Any]) -> list[str]:
    if "messages" in record:
        return [f"  {m['role']}{' (' + m['name'] + ')' if m.get('name') else ''}: {_short(m['content'])}"
                for m in record["messages"]]
    if "prompt" in record:
        return [f"  prompt: {_short(record['prompt'])}", f"  completion: {_short(record['completion'])}"]
    return [f"  text: {_short(record['text'])}"]


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit - 20]} … {text[-15:]}"


def inspect_dataset(bot_dir: str | Path, *, examples: int = 3, seed: int = 0) -> InspectReport:
    """Read a built dataset and report on it; `examples` random examples are shown in their source context."""
    folder = open_bot(bot_dir)
    directory = folder.dataset_dir
    if not (directory / TRAIN).is_file():
        raise BotsmithError(f"no dataset in {directory}", hint="run 'botsmith build' first")
    splits = {"train": read_records(directory / TRAIN)}
    splits["validation"] = read_records(directory / VALIDATION) if (directory / VALIDATION).is_file() else []
    stats = _read_stats(directory)
    everything = [r for records in splits.values() for r in records]
    histogram, note, stale = _histogram(directory, stats, everything)
    report = InspectReport(directory, {name: len(records) for name, records in splits.items()},
                           st.kinds(everything), histogram, note, sources=stats.get("sources", {}),
                           system_prompt=stats.get("system_prompt"), fit=stats.get("fit") or {})
    report.warnings = _warnings(splits, stats, stale, folder.config().train.max_length)
    report.examples = _examples(splits, examples, seed, folder.clean_dir)
    return report


def _read_stats(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / STATS).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _histogram(directory: Path, stats: dict, records: list[dict]) -> tuple[dict[str, int], str, bool]:
    """The build's token histogram while the files are as built; else an estimate from characters."""
    files = stats.get("files", {})
    fresh = bool(files) and all(
        (directory / name).is_file() and st.sha256_text((directory / name).read_text(encoding="utf-8")) == info["sha256"]
        for name, info in files.items())
    if fresh and "histogram" in stats.get("tokens", {}):
        return stats["tokens"]["histogram"], "base-model tokens, from stats.json", False
    from botsmith.dataset.tokens import record_texts

    estimate = [sum(len(text) for text in record_texts(record)) // 4 for record in records]
    return st.histogram(estimate), "estimated as characters / 4: the files changed since 'botsmith build'", True


def _warnings(splits: dict[str, list[dict]], stats: dict, stale: bool, max_length: int) -> list[str]:
    warnings = [] if stale else list(stats.get("warnings", []))
    if stale:
        warnings.append("the dataset files differ from what 'botsmith build' wrote (stats.json is stale)")
        warnings += st.count_warnings(len(splits["train"]), len(splits["validation"]))
        from botsmith.dataset.tokens import record_texts

        long_turns = sum(any(len(t) // 4 > max_length // 2 for t in record_texts(r)) for rs in splits.values() for r in rs)
        if long_turns:
            warnings.append(f"about {long_turns} examples have a very long turn (over {max_length // 2} tokens)")
    fitted_for = (stats.get("fit") or {}).get("max_length")
    if fitted_for and fitted_for != max_length:
        warnings.append(f"the examples were fitted to max_length {fitted_for} but [train] max_length is now {max_length}: "
                        "run 'botsmith build' again")
    warnings += _duplicate_warnings(splits)
    return warnings


def _duplicate_warnings(splits: dict[str, list[dict]]) -> list[str]:
    keys = {name: Counter(exact_key(r) for r in records) for name, records in splits.items()}
    warnings = []
    repeats = sum(n - 1 for counter in keys.values() for n in counter.values() if n > 1)
    if repeats:
        warnings.append(f"{repeats} duplicate examples within a split")
    shared = len(set(keys["train"]) & set(keys["validation"]))
    if shared:
        warnings.append(f"{shared} examples are in both train and validation")
    groups = [{r.get("meta", {}).get("group") for r in splits[name]} - {None} for name in ("train", "validation")]
    if groups[0] & groups[1]:
        warnings.append(f"{len(groups[0] & groups[1])} groups (chapters/sessions) have examples on both sides of the split")
    return warnings


def _examples(splits: dict[str, list[dict]], count: int, seed: int, clean_dir: Path) -> list[Example]:
    pool = [(name, record) for name, records in splits.items() for record in records]
    chosen = random.Random(seed).sample(pool, min(count, len(pool)))
    texts: dict[str, str | None] = {}
    return [Example(name, record, _context(record.get("meta", {}), clean_dir, texts)) for name, record in chosen]


def _context(meta: dict[str, Any], clean_dir: Path, texts: dict[str, str | None]) -> str:
    source, start, end = meta.get("source"), meta.get("start"), meta.get("end")
    if not isinstance(source, str) or not isinstance(start, int) or not isinstance(end, int):
        return ""
    if source not in texts:
        path = clean_dir / f"{source}.txt"
        texts[source] = path.read_text(encoding="utf-8") if path.is_file() else None
    text = texts[source]
    if text is None or not 0 <= start <= end <= len(text):
        return f"(source {source} chars {start}-{end}: its cleaned text is not in {clean_dir})"
    span = text[start:end]
    if len(span) > SPAN_CHARS:
        span = f"{span[:SPAN_CHARS // 2]} […] {span[-SPAN_CHARS // 2:]}"
    before, after = text[max(0, start - CONTEXT_CHARS):start], text[end:end + CONTEXT_CHARS]
    return f"[{source} chars {start}-{end}]\n…{before}⟦{span}⟧{after}…"
