"""A bot's botsmith.toml: one typed config, validated on load, read by every stage.

Each [table] is a section class in its own module; command-line flags override
fields through `with_overrides`, which validates them the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from botsmith.config.bot import MODES, BotSection, Mode
from botsmith.config.chats import ChatsSection
from botsmith.config.dataset import DatasetSection
from botsmith.config.export import ExportSection
from botsmith.config.generate import GenerateSection
from botsmith.config.section import Section
from botsmith.config.sources import SourcesSection
from botsmith.config.train import Method, TrainSection
from botsmith.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = "botsmith.toml"

__all__ = [
    "BotConfig", "BotSection", "ChatsSection", "DatasetSection", "ExportSection", "GenerateSection",
    "SourcesSection", "TrainSection", "Mode", "Method", "MODES", "CONFIG_NAME",
    "load_config", "save_config", "config_path", "validate_config",
]


class BotConfig(Section):
    bot: BotSection
    sources: SourcesSection = Field(default_factory=SourcesSection)
    dataset: DatasetSection = Field(default_factory=DatasetSection)
    chats: ChatsSection = Field(default_factory=ChatsSection)
    train: TrainSection = Field(default_factory=TrainSection)
    generate: GenerateSection = Field(default_factory=GenerateSection)
    export: ExportSection = Field(default_factory=ExportSection)

    def with_overrides(self, section: str, **values: Any) -> "BotConfig":
        """A copy with fields of one section replaced (None values are skipped), validated."""
        values = {key: value for key, value in values.items() if value is not None}
        if not values:
            return self
        data = self.model_dump()
        data[section].update(values)
        return validate_config(data, f"command-line options for [{section}]")


def config_path(bot_dir: str | Path) -> Path:
    bot_dir = Path(bot_dir)
    return bot_dir if bot_dir.name == CONFIG_NAME else bot_dir / CONFIG_NAME


def load_config(bot_dir: str | Path) -> BotConfig:
    """Read and validate `bot_dir/botsmith.toml`; every problem names the file and key."""
    path = config_path(bot_dir)
    if not path.exists():
        raise ConfigError(f"{path}: no such file", hint="create a bot with 'botsmith new NAME' or pass the bot's folder")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None
    return validate_config(data, str(path))


def validate_config(data: dict[str, Any], where: str) -> BotConfig:
    try:
        return BotConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{where}: {describe_validation_error(error)}") from None


def describe_validation_error(error: ValidationError) -> str:
    """The first problem as `[table] key: message (got value)`; more are counted."""
    first = error.errors()[0]
    location = [str(part) for part in first["loc"]]
    if len(location) >= 2:
        place = f"[{location[0]}] {'.'.join(location[1:])}"
    elif location:
        place = f"[{location[0]}]"
    else:
        place = "config"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; 'botsmith new' writes every key with its documentation)"
    elif first["type"] != "missing":
        message = f"{message} (got {first.get('input')!r})"
    more = len(error.errors()) - 1
    return f"{place}: {message}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def save_config(bot_dir: str | Path, config: BotConfig) -> Path:
    """Write botsmith.toml with every key documented by a comment."""
    from botsmith.atomic import write_text

    path = config_path(bot_dir)
    write_text(path, render_config(config))
    return path


def render_config(config: BotConfig) -> str:
    import tomli_w

    parts = [f"# botsmith bot config. Documentation: botsmith --help, or the comments below.\n"]
    for table, field in BotConfig.model_fields.items():
        section: Section = getattr(config, table)
        parts.append(f"\n[{table}]\n")
        for key, info in type(section).model_fields.items():
            if info.description:
                parts.append(f"# {info.description}\n")
            parts.append(tomli_w.dumps({key: getattr(section, key)}))
    return "".join(parts)
