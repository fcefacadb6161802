"""`evaluate(bot_dir)`: is the trained bot better than the base model, and does it stay in character?

The phases are fixed: find the checkpoint and what to compare it with, read the held-out
split, then for each model (this checkpoint, then the base or another run) its held-out
perplexity and its replies to the probes, then the scores, then the report. The report
folder (runs/<run-id>/eval/) is written whole or not at all, never inside a checkpoint.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from botsmith.bot_folder import BotFolder, open_bot
from botsmith.config.generate import GenerateSection
from botsmith.errors import BotsmithError
from botsmith.eval import summary
from botsmith.eval.probes import (ABOUT_ITSELF, IDENTITY_SEEDS, SAMPLE_SEED, Probe, Replies, answer, chat_probes,
                                  completion_probes)

# Held-out probes beside the three identity questions. Delta needs 500 words of replies to mean anything and
# settles with more: at 24 probes (about 1,000 words; the bot's replies run 35-55) a draw of replies passed the
# permutation test either way, so the default answers 72 (every held-out line of P&P's Elizabeth twice, ~3,000
# words), in about 2.5 minutes on two cores now that replies are decoded side by side. The quick eval that ends
# training keeps to ~1,000 words, about a minute.
DEFAULT_PROBES = 72
QUICK_PROBES = 24
MAX_NEW_TOKENS = 96  # per reply: a character's usual line (P&P Elizabeth: 41 words on average)
# The [generate] fields that decide what a sampled reply is: the report records them, since Delta moves with them
# (docs/train.md, **Temperature and her voice**).
SAMPLING_FIELDS = ("temperature", "top_p", "top_k", "min_p", "epsilon_cutoff", "repetition_penalty")


@dataclass
class EvalReport:
    path: Path  # the eval folder: report.json, report.html
    data: dict[str, Any]

    @property
    def summary_line(self) -> str:
        return self.data["summary"]

    def table(self) -> str:
        return summary.table_text(self.data)


@dataclass
class Contender:
    """One model of the comparison, as the runtime talks to it."""

    role: str  # "after" (the checkpoint) or "before" (the base, or another run)
    label: str
    spec: str  # what Chatbot.from_bot loads: "base" or a checkpoint folder


def evaluate(bot_dir: str | Path = ".", *, checkpoint: str = "best", against: str = "base",
             probes: int = DEFAULT_PROBES, greedy: bool = False, sampled: bool = True,
             max_new_tokens: int = MAX_NEW_TOKENS, quick: bool = False, seed: int = SAMPLE_SEED,
             sampling: dict[str, Any] | None = None, log: Callable[[str], None] = print) -> EvalReport:
    """Evaluate a checkpoint (best|final|last|PATH) against the base model or another run (run id or folder).

    Each probe is answered as chat answers it, sampled with the bot's [generate] settings (fixed seeds; each
    identity question with three); the identity questions, and with `greedy` every probe, greedily as well.
    `sampled=False`: greedy replies only. `seed`: the first sampling seed (another draws other replies).
    `sampling`: [generate] fields to use instead of the bot's (temperature, top_p, ...; None values are skipped),
    for both models alike."""
    from botsmith.atomic import atomic_dir

    started = time.perf_counter()
    folder = open_bot(bot_dir)
    config = folder.config().with_overrides("generate", **(sampling or {}))
    target, run_dir = _checkpoint(folder, checkpoint)
    out = _report_dir(folder, target, run_dir, checkpoint)
    validation, train = _dataset(folder)
    contenders = [Contender("after", _label(folder, target), str(target)), _against(folder, against, run_dir)]
    if config.bot.mode == "completion":
        items = completion_probes(validation, probes)
    else:  # greedy-only evals ask each identity question once: greedy decoding would only repeat itself
        items = chat_probes(validation, probes, IDENTITY_SEEDS if sampled else 1)
    settings = dict(greedy=greedy, sampled=sampled, max_new_tokens=max_new_tokens, seed=seed,
                    max_length=_max_length(folder, run_dir), generate=config.generate, log=log)
    results = {"after": _run(folder, contenders[0], validation, items, system_prompt=None, **settings)}
    # The base model is talked to with the checkpoint's system prompt, as the bot's runtime would; another run
    # keeps the one it was trained with.
    system = results["after"]["system_prompt"] if contenders[1].spec == "base" else None
    results["before"] = _run(folder, contenders[1], validation, items, system_prompt=system, **settings)
    data = _report(folder, config, target, run_dir, contenders, results, items, validation, train, quick)
    data["seed"] = seed
    if sampled:
        data["sampling"] = {name: getattr(config.generate, name) for name in SAMPLING_FIELDS}
    data["seconds"] = round(time.perf_counter() - started, 1)
    with atomic_dir(out) as tmp:
        _write(tmp, data, run_dir)
    log(f"Wrote {out / 'report.html'} in {data['seconds']:.0f} s")
    return EvalReport(out, data)


def _checkpoint(folder: BotFolder, which: str) -> tuple[Path, Path | None]:
    """(checkpoint folder, its run folder or None); a run still training is refused."""
    from botsmith.models import CHECKPOINT_INFO
    from botsmith.runs import is_training, resolve_checkpoint

    path = resolve_checkpoint(folder.runs_dir, which)
    if not (path / CHECKPOINT_INFO).is_file():
        raise BotsmithError(f"{path}: not a botsmith checkpoint (no {CHECKPOINT_INFO})",
                            hint="give best, final, last or a checkpoint folder inside runs/")
    run_dir = path.parent if path.parent.parent.resolve() == folder.runs_dir.resolve() else None
    if run_dir is not None and is_training(run_dir):
        raise BotsmithError(f"run {run_dir.name} is still training",
                            hint="wait until it finishes (or stop it with Ctrl-C), then run botsmith eval")
    return path, run_dir


def _report_dir(folder: BotFolder, target: Path, run_dir: Path | None, which: str) -> Path:
    """runs/<id>/eval/ for best, eval-<name>/ for final and last; evals/<name>/ for a folder outside runs/."""
    if run_dir is not None:
        return run_dir / ("eval" if target.name == "best" else f"eval-{target.name}")
    out = folder.root / "evals" / target.name
    if out.resolve().is_relative_to(target.resolve()):
        raise BotsmithError(f"{target}: eval never writes inside a checkpoint folder")
    return out


def _dataset(folder: BotFolder) -> tuple[list[dict], list[dict]]:
    from botsmith.records import read_records

    validation = folder.dataset_dir / "validation.jsonl"
    if not (folder.dataset_dir / "train.jsonl").is_file():
        raise BotsmithError(f"{folder.dataset_dir / 'train.jsonl'}: no dataset yet", hint="run: botsmith build")
    records = read_records(validation) if validation.is_file() else []
    if not records:
        raise BotsmithError(f"{validation}: no validation examples to evaluate on",
                            hint="set [dataset] validation_fraction above 0 (e.g. 0.1) and run botsmith build")
    return records, read_records(folder.dataset_dir / "train.jsonl")


def _label(folder: BotFolder, checkpoint: Path) -> str:
    if checkpoint.parent.parent.resolve() == folder.runs_dir.resolve():
        return f"{checkpoint.parent.name} {checkpoint.name}"
    return checkpoint.name


def _against(folder: BotFolder, against: str, run_dir: Path | None) -> Contender:
    """The base model, or another run's best checkpoint (a run id or a checkpoint folder)."""
    from botsmith.runs import resolve_checkpoint

    if against == "base":
        return Contender("before", "base model", "base")
    try:  # a run id means its best/, as for --checkpoint
        path = resolve_checkpoint(folder.runs_dir, against)
    except BotsmithError:
        raise BotsmithError(f"--against {against}: neither 'base', a run in {folder.runs_dir} nor a checkpoint folder",
                            hint="see the runs with: botsmith runs") from None
    if run_dir is not None and path.resolve() == (run_dir / "best").resolve():
        raise BotsmithError(f"--against {against} is the checkpoint being evaluated")
    return Contender("before", _label(folder, path), str(path))


def _run(folder: BotFolder, contender: Contender, validation: list[dict], items: list[Probe], *, greedy: bool,
         sampled: bool, max_new_tokens: int, max_length: int, system_prompt: str | None, seed: int,
         generate: GenerateSection, log: Callable[[str], None]) -> dict[str, Any]:
    """One model's held-out perplexity and replies, through the engine chat and serve use.

    `system_prompt`: None keeps the one the model's checkpoint was trained with (the base gets the bot's)."""
    from botsmith.chat import Chatbot
    from botsmith.eval.perplexity import heldout

    generate = generate.model_copy(update={"backend": "torch"})  # the base model has no GGUF export
    log(f"Evaluating {contender.label}...")
    chatbot = Chatbot.from_bot(folder.root, contender.spec, generate=generate, log=lambda line: None)
    if system_prompt is not None:
        chatbot.system_prompt = system_prompt
    loaded = chatbot.loaded
    perplexity = heldout(loaded.model, loaded.tokenizer, chatbot.chat_format, validation, max_length=max_length)
    replies = answer(chatbot, items, greedy=greedy, sampled=sampled, seed=seed,
                     max_new_tokens=min(max_new_tokens, generate.max_new_tokens))
    result = {"perplexity": perplexity, "replies": replies, "system_prompt": chatbot.system_prompt,
              "base_model": loaded.base_model}
    del chatbot, loaded
    gc.collect()
    return result


def _max_length(folder: BotFolder, run_dir: Path | None) -> int:
    """The evaluated run's own max_length: every model is measured on the tokens that run trained on."""
    from botsmith.train.rundir import RunFolder

    if run_dir is not None and (run_dir / "config.toml").is_file():
        try:
            return RunFolder(run_dir).config().train.max_length
        except BotsmithError:
            pass
    return folder.config().train.max_length


def _report(folder: BotFolder, config: Any, target: Path, run_dir: Path | None, contenders: list[Contender],
            results: dict[str, dict], items: list[Probe], validation: list[dict], train: list[dict],
            quick: bool) -> dict[str, Any]:
    from botsmith.dataset.identity import is_identity_record
    from botsmith.eval import fidelity
    from botsmith.eval import scores as sc
    from botsmith.eval.markers import marker_scores
    from botsmith.models import read_checkpoint_info
    from botsmith.train.metrics import read_metrics

    info = read_checkpoint_info(target)
    names = character_names(folder, config)
    leak = fidelity.leak_pattern(str(results["after"]["base_model"]))
    real = sc.real_lines(validation)
    scores: dict[str, Any] = {}
    for role in ("before", "after"):
        replies: Replies = results[role]["replies"]
        if config.bot.mode == "completion":
            scores[role] = sc.completion_scores(items, replies)
        else:
            scores[role] = sc.chat_scores(items, replies, leak=leak, names=fidelity.identity_names(names))
    scores["real"] = sc.reference_scores(items, real, config.bot.mode)
    # Delta on samples of one length; "real" is the character's own training lines: what a perfect imitation scores
    voices = {role: sc.voice_texts(items, results[role]["replies"]) for role in ("before", "after")}
    space = sc.delta_space(train)
    values, scores["delta_words"] = sc.deltas(space, {**voices, "real": sc.real_lines(train)}, real)
    for role, value in values.items():
        scores[role]["delta"] = value
    scores["delta_change_p"] = sc.delta_change_p(space, voices["before"], voices["after"], real)  # None: no Delta
    scores["markers"] = marker_scores(voices["before"], voices["after"], real)
    data = {
        "format": 1, "bot": config.bot.name, "mode": config.bot.mode,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": quick,
        "checkpoint": {"path": str(target), "run": run_dir.name if run_dir else None, "name": target.name,
                       "step": info.get("step"), "val_loss": info.get("val_loss"), "method": info.get("method")},
        "labels": {contender.role: contender.label for contender in contenders},
        "against": contenders[1].spec,
        "system_prompt": results["after"]["system_prompt"] or None,
        "character": names[0] if names else None,
        "leak_pattern": leak.pattern,
        "perplexity": {role: results[role]["perplexity"].as_dict() for role in ("before", "after")},
        "scores": scores,
        "probes": [_probe_row(index, probe, results) for index, probe in enumerate(items)],
        "curve": read_metrics(run_dir) if run_dir else [],
        # what the bot was taught about itself: eval's advice raises it only where more has been measured to help
        "identity_examples": sum(map(is_identity_record, train)),
        "identity_rejected": sum(1 for record in train
                                 if is_identity_record(record) and record["messages"][-1].get("rejected")),
    }
    data["summary"] = summary.line(data)
    return data


def character_names(folder: BotFolder, config: Any) -> list[str]:
    """The names the bot answers to: the character's as the books name them, or yours in chat exports."""
    import json

    try:
        stats = json.loads((folder.dataset_dir / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stats = {}
    names = stats.get("character_names") if isinstance(stats, dict) else None
    if isinstance(names, list) and names:
        return [str(name) for name in names]
    if config.bot.mode == "dialogue" and config.dataset.character:
        return [name.strip() for name in config.dataset.character.split(",") if name.strip()]
    return list(config.chats.me) if config.bot.mode == "chat" else []


def _probe_row(index: int, probe: Probe, results: dict[str, dict]) -> dict[str, Any]:
    replies = {}
    for role in ("before", "after"):
        got: Replies = results[role]["replies"]
        replies[role] = {how: answers[index].as_dict() for how, answers in (("greedy", got.greedy),
                                                                           ("sampled", got.sampled))
                         if answers and answers[index] is not None}
    return {"kind": probe.kind, "prompt": probe.prompt, "reference": probe.reference, "messages": probe.messages,
            "replies": replies}


def _write(folder: Path, data: dict[str, Any], run_dir: Path | None) -> None:
    from botsmith.atomic import write_json, write_text
    from botsmith.eval import page

    write_json(folder / "report.json", data)
    write_text(folder / "report.html", page.render(data, _plots(data)))


def _plots(data: dict[str, Any]) -> dict[str, bytes]:
    """Loss curves (with the base model's loss), perplexity, reply lengths: PNG bytes by title."""
    from botsmith.eval import plots
    from botsmith.eval.stylometry import words
    from botsmith.train.plot import loss_figure

    labels = {**data["labels"], "real": "real text"}
    figures = {}
    curve = loss_figure(data["curve"], title=f"{data['checkpoint']['run'] or ''} loss")
    if curve is not None:
        figures["loss curves"] = curve
    figures["held-out perplexity"] = plots.perplexity_figure(
        {role: data["perplexity"][role]["perplexity"] for role in ("before", "after")}, labels)
    lengths = {role: [len(words(reply["text"])) for p in data["probes"] if p["kind"] not in ABOUT_ITSELF
                      for reply in p["replies"][role].values()] for role in ("before", "after")}
    lengths["real"] = [len(words(p["reference"])) for p in data["probes"] if p.get("reference")]
    figures["reply length"] = plots.length_figure(lengths, labels)
    return {title: plots.png(figure) for title, figure in figures.items()}
