"""`build_dataset`: a bot's cleaned sources -> data/dataset/{train,validation}.jsonl + stats.json.

The phases are fixed: records for the bot's mode, validate, dedup, split, measure,
write. Nothing is written until every record exists, the files are replaced
together in one folder swap (stats.json carries each file's sha256), and an empty
result is an error with counts, never an empty dataset.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith import system_prompt
from botsmith.atomic import atomic_dir, write_json, write_text
from botsmith.bot_folder import open_bot
from botsmith.config import BotConfig
from botsmith.dataset import stats as st
from botsmith.dataset.dedup import dedup_records
from botsmith.dataset.fit import Fitter, fit_records
from botsmith.dataset.identity import first_person, identity_records
from botsmith.dataset.modes import Persona, SourceReport, chat_records, completion_records, dialogue_records
from botsmith.dataset.split import split_records
from botsmith.errors import BotsmithError
from botsmith.records import validate_record
from botsmith.sources.cleaned import load_clean_sources

TRAIN, VALIDATION, STATS = "train.jsonl", "validation.jsonl", "stats.json"


@dataclass
class BuildResult:
    dataset_dir: Path
    train_path: Path
    validation_path: Path
    stats_path: Path
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> list[Path]:
        return [self.train_path, self.validation_path, self.stats_path]

    def counts_line(self) -> str:
        """`train: 644  validation: 77  (extracted 721, duplicates removed 0)`"""
        counts = self.counts
        removed = counts["exact_duplicates"] + counts["near_duplicates"]
        return (f"train: {counts['train']}  validation: {counts['validation']}  "
                f"(extracted {counts['extracted']}, duplicates removed {removed})")


def build_dataset(bot_dir: str | Path, config: BotConfig | None = None, *, log=print) -> BuildResult:
    """Build the bot's dataset according to its mode (completion, dialogue or chat)."""
    folder = open_bot(bot_dir)
    config = config or folder.config()
    started = time.perf_counter()
    tokenizer = _tokenizer(config, log)
    reports: list[SourceReport] = []
    records, persona = _extract(folder, config, tokenizer, reports, log)
    records = [validate_record(record, f"{config.bot.mode} example {i + 1}") for i, record in enumerate(records)]
    fitter = _fitter(folder, config, persona, log) if config.bot.mode != "completion" else None
    fitted = None
    if fitter is not None:
        records, fitted = fit_records(records, fitter)
    deduped = dedup_records(records, config.dataset.dedup_threshold)
    split = split_records(deduped.kept, config.dataset.validation_fraction, config.dataset.seed)
    if not split.train:
        raise BotsmithError(f"no training examples left ({len(records)} extracted, {deduped.exact} exact and "
                            f"{deduped.near} near duplicates removed); nothing was written")
    i_am = first_person(turn["content"] for record in split.train for turn in record.get("messages", ())
                        if turn["role"] == "assistant")
    split.train += identity_records(persona.names, persona.system_prompt, config.dataset.identity_examples, i_am)
    texts = {TRAIN: _jsonl(split.train), VALIDATION: _jsonl(split.validation)}
    stats = _stats(config, reports, records, deduped, split, texts, tokenizer, persona, fitter)
    if fitted is not None:
        stats["fit"] = {"max_length": config.train.max_length, **fitted.as_dict()}
    stats["seconds"] = round(time.perf_counter() - started, 2)
    result = _write(folder.dataset_dir, texts, stats)
    for warning in result.warnings:
        log(f"warning: {warning}")
    log(f"Wrote {result.counts['train']} training and {result.counts['validation']} validation examples "
        f"to {folder.dataset_dir}")
    return result


def _fitter(folder: Any, config: BotConfig, persona: Persona, log) -> Fitter:
    """Counts conversations as training will: the base's tokenizer and chat format, the bot's system prompt."""
    from botsmith.chat_format import install_chat_format, template_setting
    from botsmith.models import resolve_model
    from botsmith.models.load import load_tokenizer

    tokenizer = load_tokenizer(resolve_model(config.bot.base_model, log=log))
    setting = template_setting(config.bot.chat_template, folder.root)
    chat_format = install_chat_format(tokenizer, chat_template=setting).with_system(persona.system_prompt)
    return Fitter(tokenizer, chat_format, config.train.max_length)


def _tokenizer(config: BotConfig, log):
    from botsmith.dataset.tokens import load_tokenizer

    return load_tokenizer(config.bot.base_model, log=log)


def _extract(folder, config: BotConfig, tokenizer, reports: list[SourceReport], log) -> tuple[list[dict], Persona]:
    """(records, who the bot is)."""
    mode = config.bot.mode
    persona = Persona(system_prompt.for_build(config), list(config.chats.me) if mode == "chat" else [])
    if mode == "chat":
        records = chat_records(folder, config, reports, log)
    else:
        sources = load_clean_sources(folder.clean_dir)
        if not sources:
            raise BotsmithError(f"no cleaned sources in {folder.clean_dir}",
                                hint="add texts first: 'botsmith add gutenberg 1342' or 'botsmith add files FILE'")
        log(f"Extracting {mode} examples from {len(sources)} source{'s' * (len(sources) != 1)}...")
        if mode == "completion":
            records = completion_records(sources, config, tokenizer, reports)
        else:
            records, persona = dialogue_records(sources, config, reports, log)
    if config.dataset.character and mode != "dialogue" and reports:
        reports[0].warnings.append(f"[dataset] character '{config.dataset.character}' is only used in dialogue mode "
                                   f"(this bot's mode is {mode})")
    if not records:
        detail = ", ".join(f"{r.id}: {r.turns} turns" if mode == "dialogue" else f"{r.id}: 0 examples" for r in reports)
        raise BotsmithError(f"no {mode} examples could be made ({detail or 'no input'}); nothing was written")
    return records, persona


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def _stats(config: BotConfig, reports, records, deduped, split, texts: dict[str, str], tokenizer,
           persona: Persona, fitter: Fitter | None) -> dict[str, Any]:
    from botsmith.dataset.tokens import token_lengths

    kept = split.train + split.validation
    totals, longest = token_lengths(tokenizer, kept)
    counted = "content tokens of the base model; chat-template markers excluded"
    if fitter is not None:  # conversations: counted exactly as training renders them
        totals = [fitter.tokens(record["messages"]) for record in kept]
        counted = "tokens as training sees them: chat template, markers and system prompt included"
    warnings = [w for report in reports for w in report.warnings] + split.warnings
    warnings += st.count_warnings(len(split.train), len(split.validation))
    warnings += st.length_warnings(totals, [] if fitter else longest, config.train.max_length)
    return {
        "mode": config.bot.mode,
        # What training and every runtime send as the system message (None: the bot has none; a dialogue
        # dataset without a character gives each example "You are <speaker>.").
        system_prompt.STATS_KEY: persona.system_prompt,
        "character_names": persona.names,  # what eval accepts as the bot naming itself
        "counts": {"train": len(split.train), "validation": len(split.validation), "extracted": len(records),
                   "exact_duplicates": deduped.exact, "near_duplicates": deduped.near},
        "kinds": {"train": st.kinds(split.train), "validation": st.kinds(split.validation)},
        "tokens": {**st.length_summary(totals), "longest_turn": max(longest, default=0),
                   "counted": counted},
        "split": {"unit": split.unit, "by": config.dataset.split_by, "validation_groups": split.validation_groups},
        "sources": {report.id: report.as_dict() for report in reports},
        "warnings": warnings,
        "config": {"bot": config.bot.model_dump(), "dataset": config.dataset.model_dump(),
                   "train": {"max_length": config.train.max_length}},
        "files": {name: {"records": text.count("\n"), "sha256": st.sha256_text(text)} for name, text in texts.items()},
    }


def _carry_over(old: Path, new: Path, skip: set[str]) -> None:
    """Anything else the user keeps in the dataset folder stays there."""
    for entry in old.iterdir() if old.is_dir() else ():
        if entry.name in skip or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(entry, new / entry.name)
        else:
            shutil.copy2(entry, new / entry.name)


def _write(dataset_dir: Path, texts: dict[str, str], stats: dict[str, Any]) -> BuildResult:
    # One folder swap: train, validation and stats.json are replaced together or not at all.
    with atomic_dir(dataset_dir) as tmp:
        _carry_over(dataset_dir, tmp, skip={*texts, STATS})
        for name, text in texts.items():
            write_text(tmp / name, text)
        write_json(tmp / STATS, stats)
    counts = {**stats["counts"]}
    return BuildResult(dataset_dir, dataset_dir / TRAIN, dataset_dir / VALIDATION, dataset_dir / STATS, counts,
                       list(stats["warnings"]), stats)
