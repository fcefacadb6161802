"""selfchatbot compatibility: `botsmith selfchatbot preprocess|train|play -d ID` on a selfchatbot
user's own folders, mapped onto botsmith's pipeline (no second copy of it).

selfchatbot keeps three roots, named by environment variables or a `.env` file in the
working folder: selfChatBot_raw (one `Dataset_{ID}_{Name}/` per dataset, holding
`parameters.json` and the raw DiscordChatExporter files), selfChatBot_preprocessed and
selfChatBot_results. botsmith keeps the dataset's bot folder in
`{selfChatBot_results}/Dataset_{ID}_{Name}/botsmith/` and, after preprocess, copies
train.jsonl / validation.jsonl / stats.json to `{selfChatBot_preprocessed}/Dataset_{ID}_{Name}/`.
Nothing in the user's folders is moved or changed.

IDs compare as numbers, as selfchatbot's own sample names them: `-d 1` finds
`Dataset_001_Discord_Data`. parameters.json may start with `//` comment lines (the README's
sample does); `max_length` defaults to selfchatbot's 1024; `type_fine_tune` takes lora, qlora,
fine_tune or finetune; usernames come from every exporter under `preprocessor_data`
(`DiscordChatExporter`, `WhatsApp`, `Telegram`, ...: each `{"username": ...}`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botsmith.errors import BotsmithError

ENV_RAW, ENV_PREPROCESSED, ENV_RESULTS = "selfChatBot_raw", "selfChatBot_preprocessed", "selfChatBot_results"
METHODS = {"lora": "lora", "qlora": "qlora", "fine_tune": "full", "finetune": "full", "full": "full"}
DEFAULT_MAX_LENGTH = 1024  # selfchatbot's own default
BOT_SUBFOLDER = "botsmith"


@dataclass(frozen=True)
class Dataset:
    """One selfchatbot dataset and where botsmith keeps its bot."""

    id: str
    folder: Path  # selfChatBot_raw/Dataset_{ID}_{Name}
    parameters: dict[str, Any]
    results_root: Path
    preprocessed_root: Path | None

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def bot_dir(self) -> Path:
        return self.results_root / self.name / BOT_SUBFOLDER


def read_env(cwd: Path) -> dict[str, str]:
    """selfchatbot's variables: the environment first, then `.env` in the working folder."""
    values = _dotenv(cwd / ".env")
    for key in (ENV_RAW, ENV_PREPROCESSED, ENV_RESULTS):
        if os.environ.get(key):
            values[key] = os.environ[key]
    return values


def _dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def find_dataset(dataset_id: str | int, cwd: str | Path | None = None) -> Dataset:
    cwd = Path(cwd or Path.cwd())
    env = read_env(cwd)
    if not env.get(ENV_RAW):
        raise BotsmithError(f"{ENV_RAW} is not set", hint=f"set it (and {ENV_RESULTS}) in the environment or in "
                                                          f"{cwd / '.env'}, as for selfchatbot")
    raw = _root(cwd, env[ENV_RAW], ENV_RAW)
    matches = sorted(p for p in raw.glob("Dataset_*_*") if p.is_dir() and _same_id(p.name, str(dataset_id)))
    if len(matches) != 1:
        found = "none" if not matches else ", ".join(p.name for p in matches)
        raise BotsmithError(f"{raw}: expected one folder Dataset_{dataset_id}_<Name> (found {found})")
    results = _root(cwd, env.get(ENV_RESULTS) or str(raw.parent / "selfChatBot_results"), ENV_RESULTS)
    pre = _root(cwd, env[ENV_PREPROCESSED], ENV_PREPROCESSED) if env.get(ENV_PREPROCESSED) else None
    # parameters.json sits beside the raw exports; some setups keep it in the other two roots.
    places = [matches[0]] + [root / matches[0].name for root in (pre, results) if root is not None]
    parameters = next((place / "parameters.json" for place in places if (place / "parameters.json").is_file()),
                      matches[0] / "parameters.json")
    return Dataset(str(dataset_id), matches[0], read_parameters(parameters), results, pre)


def _same_id(folder_name: str, dataset_id: str) -> bool:
    """Whether `Dataset_{ID}_{Name}` has this ID; numbers compare as numbers (3 finds Dataset_003_...)."""
    folder_id = folder_name.split("_", 2)[1]
    if folder_id.isdigit() and dataset_id.isdigit():
        return int(folder_id) == int(dataset_id)
    return folder_id == dataset_id


def _root(cwd: Path, value: str, variable: str) -> Path:
    path = Path(value).expanduser()
    path = path if path.is_absolute() else cwd / path
    if variable == ENV_RAW and not path.is_dir():
        raise BotsmithError(f"{variable}={value}: no such folder")
    return path


def read_parameters(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise BotsmithError(f"{path}: no such file", hint="selfchatbot datasets keep their settings in parameters.json")
    try:
        text = path.read_text(encoding="utf-8")
        # Whole-line // comments, as in selfchatbot's README sample, are not JSON: blank them (keeps line numbers).
        data = json.loads("\n".join("" if line.lstrip().startswith("//") else line for line in text.splitlines()))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BotsmithError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("model"), str) or not data["model"]:
        raise BotsmithError(f"{path}: field 'model' must name the base model")
    method = data.setdefault("type_fine_tune", "lora")
    if method not in METHODS:
        raise BotsmithError(f"{path}: field 'type_fine_tune' must be lora, qlora or fine_tune (got {method!r})")
    max_length = data.setdefault("max_length", DEFAULT_MAX_LENGTH)
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 8:
        raise BotsmithError(f"{path}: field 'max_length' must be a whole number of tokens >= 8")
    if not usernames_of(data):
        raise BotsmithError(f"{path}: field 'preprocessor_data.DiscordChatExporter.username' must be your "
                            "Discord username (or name yourself under another exporter, e.g. "
                            "preprocessor_data.WhatsApp.username)")
    return data


def usernames_of(parameters: dict[str, Any]) -> list[str]:
    """Your names in the chats: the `username` of every exporter under preprocessor_data, in order, once each."""
    exporters = parameters.get("preprocessor_data") or {}
    names = [settings.get("username") for settings in exporters.values() if isinstance(settings, dict)] \
        if isinstance(exporters, dict) else []
    return list(dict.fromkeys(name for name in names if isinstance(name, str) and name))


def export_files(dataset: Dataset, log: Callable[[str], None]) -> list[Path]:
    """The chat exports in the dataset folder (parameters.json, media folders and non-chats skipped)."""
    from botsmith.chats.registry import detect_format, ExportInput

    exports = []
    for path in sorted(dataset.folder.rglob("*")):
        if not path.is_file() or path.name == "parameters.json" or path.name.startswith("."):
            continue
        if any(part.endswith("_Files") for part in path.relative_to(dataset.folder).parts[:-1]):
            continue  # DiscordChatExporter's downloaded media
        try:
            detect_format(ExportInput(path))
        except BotsmithError as error:
            log(f"skipping {path.name}: {error}")
            continue
        exports.append(path)
    if not exports:
        raise BotsmithError(f"{dataset.folder}: no chat exports found", hint="export the chats with "
                            "DiscordChatExporter (Json, PlainText or Csv) into this folder")
    return exports


def _sync_exports(bot_dir: Path, dataset: Dataset, log: Callable[[str], None]) -> None:
    """Copy each export into the bot under its path in the dataset folder, replacing changed copies."""
    from botsmith.atomic import write_bytes
    from botsmith.bot_folder import open_bot
    from botsmith.chats.store import chats_dir

    target_dir = chats_dir(open_bot(bot_dir))
    for path in export_files(dataset, log):
        target = target_dir / "__".join(path.relative_to(dataset.folder).parts)
        if not target.is_file() or target.read_bytes() != path.read_bytes():
            write_bytes(target, path.read_bytes())


def prepare_bot(dataset: Dataset, log: Callable[[str], None] = print):
    """Create or update the dataset's bot folder from parameters.json; returns its config."""
    from botsmith.bot_folder import new_bot
    from botsmith.config import load_config, save_config

    if not (dataset.bot_dir / "botsmith.toml").is_file():
        new_bot(dataset.bot_dir, mode="chat", base_model=dataset.parameters["model"], name=dataset.name)
        log(f"Created bot folder {dataset.bot_dir}")
    config = load_config(dataset.bot_dir)
    config = config.with_overrides("bot", mode="chat", base_model=dataset.parameters["model"])
    config = config.with_overrides("train", method=METHODS[dataset.parameters.get("type_fine_tune", "lora")],
                                   max_length=dataset.parameters.get("max_length"))
    config = config.with_overrides("chats", me=usernames_of(dataset.parameters))
    save_config(dataset.bot_dir, config)
    _sync_exports(dataset.bot_dir, dataset, log)
    return config


def preprocess(dataset_id: str | int, *, cwd: str | Path | None = None, log: Callable[[str], None] = print) -> Path:
    """selfchatbot `preprocess -d ID`: the bot folder, its chat exports and its dataset. Returns the bot folder."""
    import botsmith

    dataset = find_dataset(dataset_id, cwd)
    config = prepare_bot(dataset, log)
    botsmith.build_dataset(dataset.bot_dir, config, log=log)
    if dataset.preprocessed_root is not None:
        target = dataset.preprocessed_root / dataset.name
        target.mkdir(parents=True, exist_ok=True)
        for name in ("train.jsonl", "validation.jsonl", "stats.json"):
            source = dataset.bot_dir / "data" / "dataset" / name
            if source.is_file():
                shutil.copyfile(source, target / name)
        log(f"Preprocessed data: {target}")
    return dataset.bot_dir


def train(dataset_id: str | int, *, cwd: str | Path | None = None, log: Callable[[str], None] = print):
    """selfchatbot `train -d ID`: botsmith.train on the dataset's bot (preprocessing first if needed)."""
    import botsmith

    dataset = find_dataset(dataset_id, cwd)
    if not (dataset.bot_dir / "data" / "dataset" / "train.jsonl").is_file():
        preprocess(dataset_id, cwd=cwd, log=log)
    config = prepare_bot(dataset, log)
    return botsmith.train(dataset.bot_dir, config, log=log)


def load_chatbot(dataset_id: str | int, model_type: str = "best", *, cwd: str | Path | None = None):
    """selfchatbot `play -d ID -mt best|final`: the trained bot, ready to reply."""
    import botsmith

    if model_type not in ("best", "final"):
        raise BotsmithError(f"-mt {model_type}: choose best or final")
    dataset = find_dataset(dataset_id, cwd)
    if not (dataset.bot_dir / "botsmith.toml").is_file():
        raise BotsmithError(f"{dataset.bot_dir}: not trained yet", hint=f"run 'botsmith selfchatbot train -d {dataset_id}'")
    return botsmith.Chatbot.from_bot(dataset.bot_dir, model_type)
