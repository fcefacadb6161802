"""Base models: aliases, the download cache, resolution and loading."""

from botsmith.models.cache import botsmith_home, cached_models, models_dir
from botsmith.models.catalog import DEFAULT_MODEL, CatalogEntry, aliases, catalog_entry, register_model
from botsmith.models.load import (CHECKPOINT_INFO, LoadedModel, load_base, load_checkpoint, pick_dtype,
                                  read_checkpoint_info)
from botsmith.models.pull import pull_model
from botsmith.models.resolve import resolve_model
from botsmith.models.shell import load_shell

__all__ = [
    "DEFAULT_MODEL", "CHECKPOINT_INFO", "CatalogEntry", "LoadedModel", "aliases", "botsmith_home",
    "cached_models", "catalog_entry", "load_base", "load_checkpoint", "load_shell", "models_dir", "pick_dtype",
    "pull_model", "read_checkpoint_info", "register_model", "resolve_model",
]
