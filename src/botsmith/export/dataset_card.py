"""The dataset card (README.md) for `botsmith push-dataset`: splits, sources, how it was built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.export.card import read_json, read_sources


def dataset_card(folder: Any, config: Any, files: dict[str, Path]) -> str:
    splits = [name.removesuffix(".jsonl") for name in files if name.endswith(".jsonl")]
    lines = ["---", "tags:", "- botsmith", f"- {config.bot.mode}", "configs:", "- config_name: default",
             "  data_files:"]
    lines += [f"  - split: {split}\n    path: {split}.jsonl" for split in splits]
    lines += ["---", "", f"# {config.bot.name}: dataset", "",
              f"Training data for a {config.bot.mode} bot, built by [botsmith](https://github.com/botsmith/botsmith) "
              "from the texts below. One JSON object per line, in botsmith's record format "
              "(`text`, `prompt`/`completion`, or `messages`, with `meta.source` naming the text it came from).", ""]
    stats = read_json(folder.dataset_dir / "stats.json")
    if isinstance(stats, dict):
        plain = {key: value for key, value in stats.items() if isinstance(value, (int, float, str))}
        lines += ["## Statistics", ""] + [f"- {key.replace('_', ' ')}: {value}" for key, value in plain.items()] + [""]
    sources = read_sources(folder.clean_dir)
    if sources:
        lines += ["## Sources", ""]
        for source in sources:
            by = f" by {source['author']}" if source.get("author") else ""
            link = f" ({source['source_url']})" if source.get("source_url") else ""
            lines.append(f"- {source.get('title') or source.get('id')}{by}{link}")
        lines.append("")
    settings = config.dataset.model_dump()
    lines += ["## How it was built", ""] + [f"- {key.replace('_', ' ')}: {value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"
