"""The model card (README.md) of an exported model: what it is and how it was made.

Everything comes from files in the bot folder (config, dataset stats, cleaned-source
metadata, the run's summary, metrics and samples); any of them may be missing, and
the card then says less rather than failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CardFacts:
    name: str
    base_model: str
    mode: str
    method: str
    step: int | None
    val_loss: float | None
    train_settings: dict[str, Any]
    system_prompt: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    dataset_stats: dict[str, Any] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # exported file -> what it is
    evaluation: dict[str, Any] = field(default_factory=dict)  # runs/<id>/eval/report.json of the exported run


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_jsonl(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a line cut by an interrupted run
        if isinstance(row, dict):
            rows.append(row)
    return rows


def read_sources(clean_dir: Path) -> list[dict[str, Any]]:
    sources = []
    for meta_file in sorted(clean_dir.glob("*.json")) if clean_dir.is_dir() else []:
        meta = read_json(meta_file)
        if isinstance(meta, dict):
            sources.append({key: meta.get(key) for key in ("id", "title", "author", "source_url")})
    return sources


def last_samples(run_dir: Path | None, limit: int = 3) -> list[dict[str, Any]]:
    """The samples of the last step that logged any, as {prompt, output, step}."""
    rows = read_jsonl(run_dir / "samples.jsonl") if run_dir else []
    samples = []
    for row in rows:
        output = next((row[key] for key in ("output", "completion", "sample", "text", "generation") if key in row), None)
        if isinstance(output, str):
            samples.append({"prompt": str(row.get("prompt", "")), "output": output, "step": row.get("step")})
    if not samples:
        return []
    last_step = samples[-1]["step"]
    return [sample for sample in samples if sample["step"] == last_step][-limit:]


def render_card(facts: CardFacts, *, repo_hint: str = "user/name") -> str:
    parts = [_front_matter(facts), f"# {facts.name}\n",
             f"A {facts.mode} bot made with [botsmith](https://github.com/botsmith/botsmith): "
             f"`{facts.base_model}` fine-tuned ({facts.method}) on the texts listed below.\n",
             _training_section(facts), _evaluation_section(facts), _data_section(facts), _samples_section(facts),
             _usage_section(facts, repo_hint)]
    if facts.files:
        parts.append("## Files\n\n" + "\n".join(f"- `{name}`" + (f": {what}" if what else "")
                                                for name, what in facts.files.items()) + "\n")
    return "\n".join(part for part in parts if part)


def _front_matter(facts: CardFacts) -> str:
    tags = ["botsmith", "text-generation", facts.mode] + (["gguf"] if any(f.endswith(".gguf") for f in facts.files) else [])
    lines = ["---", "library_name: transformers", "pipeline_tag: text-generation", "tags:"]
    lines += [f"- {tag}" for tag in tags]
    if "/" in facts.base_model and not Path(facts.base_model).exists():
        lines.append(f"base_model: {facts.base_model}")
    return "\n".join(lines + ["---", ""])


def _training_section(facts: CardFacts) -> str:
    rows = [("base model", f"`{facts.base_model}`"), ("method", facts.method),
            ("steps", facts.step), ("validation loss", f"{facts.val_loss:.4f}" if facts.val_loss is not None else "not measured")]
    rows += [(key.replace("_", " "), value) for key, value in facts.train_settings.items() if key != "method"]
    if facts.system_prompt:
        rows.append(("system prompt", facts.system_prompt))
    return "## Training\n\n| setting | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows if v is not None) + "\n"


def _evaluation_section(facts: CardFacts) -> str:
    """botsmith eval's summary table: the checkpoint against the base model, on held-out text."""
    report = facts.evaluation
    if not report:
        return ""
    from botsmith.eval.summary import rows

    labels = report["labels"]
    lines = ["## Evaluation\n", f"`botsmith eval` on held-out text ({report['created']}"
             + (", quick" if report.get("quick") else "") + f"): {report['summary']}\n",
             f"| measure | {labels['before']} | {labels['after']} | real text |", "|---|---|---|---|"]
    lines += [f"| {measure} | {before} | {after} | {real} |" for measure, before, after, real in rows(report)]
    return "\n".join(lines) + "\n"


def _data_section(facts: CardFacts) -> str:
    lines = ["## Data\n"]
    stats = facts.dataset_stats
    if stats:
        summary = {key: value for key, value in stats.items() if isinstance(value, (int, float, str))}
        lines.append(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in list(summary.items())[:8]) + "\n")
    if facts.sources:
        lines.append("Sources:\n")
        for source in facts.sources:
            title = source.get("title") or source.get("id")
            by = f" by {source['author']}" if source.get("author") else ""
            link = f" ({source['source_url']})" if source.get("source_url") else ""
            lines.append(f"- {title}{by}{link}")
        lines.append("")
    return "\n".join(lines) if len(lines) > 1 else ""


def _samples_section(facts: CardFacts) -> str:
    if not facts.samples:
        return ""
    blocks = [f"**Prompt:** {s['prompt']}\n\n```text\n{s['output'].strip()}\n```\n" for s in facts.samples]
    step = facts.samples[0].get("step")
    return f"## Sample outputs{f' (step {step})' if step is not None else ''}\n\n" + "\n".join(blocks)


def _usage_section(facts: CardFacts, repo_hint: str) -> str:
    lines = ["## Use\n", "```python", "from transformers import AutoModelForCausalLM, AutoTokenizer",
             f'tokenizer = AutoTokenizer.from_pretrained("{repo_hint}")',
             f'model = AutoModelForCausalLM.from_pretrained("{repo_hint}")', "```", ""]
    if any(name.endswith(".gguf") for name in facts.files):
        lines += ["With Ollama:", "", "```bash", f"ollama run hf.co/{repo_hint}", "```", ""]
    return "\n".join(lines)
