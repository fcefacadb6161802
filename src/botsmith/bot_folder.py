"""A bot is a folder: botsmith.toml plus data/, runs/ and exports/.

    mybot/
      botsmith.toml        the typed config (botsmith.config)
      data/raw/            downloads and added files, as they came
      data/clean/          <source-id>.txt + .json: the text the bot learns from
      data/dataset/        train.jsonl, validation.jsonl, stats.json
      runs/<run-id>/       one training run: config, metrics, best/ final/ last/
      exports/             merged models, GGUF + Modelfile
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from botsmith.config import CONFIG_NAME, load_config, save_config, validate_config
from botsmith.errors import BotsmithError


@dataclass(frozen=True)
class BotFolder:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def raw_dir(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def clean_dir(self) -> Path:
        return self.root / "data" / "clean"

    @property
    def dataset_dir(self) -> Path:
        return self.root / "data" / "dataset"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    def config(self) -> BotConfig:
        return load_config(self.root)


def open_bot(path: str | Path) -> BotFolder:
    """The bot at `path` (its folder or its botsmith.toml), with the config checked to load."""
    root = Path(path)
    if root.name == CONFIG_NAME:
        root = root.parent
    folder = BotFolder(root)
    folder.config()  # fail early, with the config's own error, if it is missing or invalid
    return folder


def new_bot(path: str | Path, *, mode: str = "completion", base_model: str = "smollm2-135m",
            name: str | None = None) -> BotFolder:
    """Create a bot folder with a documented botsmith.toml; never touches an existing bot."""
    root = Path(path)
    folder = BotFolder(root)
    if folder.config_file.exists():
        raise BotsmithError(f"{folder.config_file} already exists", hint="choose another name or edit that config")
    if root.exists() and not root.is_dir():
        raise BotsmithError(f"{root} exists and is not a folder")
    bot = {"name": name or root.resolve().name, "mode": mode, "base_model": base_model}
    config = validate_config({"bot": bot}, "botsmith new")
    for directory in (folder.raw_dir, folder.clean_dir, folder.dataset_dir, folder.runs_dir, folder.exports_dir):
        directory.mkdir(parents=True, exist_ok=True)
    save_config(root, config)
    return folder
