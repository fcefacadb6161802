"""Base-model resolution, in one place: whatever a user names becomes a local HF folder.

Accepted, in this order: a catalog alias (pulled on first use), a Hugging Face model
folder, a .gguf file (converted once into the cache), a Hub id: `owner/name`, or a bare
name the Hub resolves itself (`gpt2`, `gpt2-large`, `distilgpt2`: the Hub redirects these
legacy names to `openai-community/...`). A Hub model is taken from the Hugging Face cache
when it is there (so it works offline once downloaded), else downloaded when online.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from botsmith.errors import BotsmithError
from botsmith.models.cache import MODEL_INFO, models_dir
from botsmith.models.catalog import aliases, catalog_entry
from botsmith.models.gguf_import import import_gguf, sha256_file
from botsmith.models.pull import pull_model

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")  # a bare legacy name: gpt2, gpt2-large, distilgpt2
HUB_FILES = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja"]


def resolve_model(spec: str, *, log=print) -> Path:
    """The local Hugging Face folder for `spec`, fetching or converting it if needed."""
    if catalog_entry(spec) is not None:
        return pull_model(spec, log=log)
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return path
    if path.is_file() and path.suffix == ".gguf":
        return _gguf_folder(path, log)
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return _gguf_folder(ggufs[0], log)
        raise BotsmithError(f"{path}: not a model folder (no config.json{', and several .gguf files' if ggufs else ''})")
    if (HUB_ID.match(spec) or HUB_NAME.match(spec)) and not path.exists():
        return _from_hub(spec)
    raise BotsmithError(f"unknown base model '{spec}'",
                        hint=f"use an alias ({', '.join(aliases())}), a model folder, a .gguf file or a Hub id")


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE asks that nothing be fetched from (or pushed to) the Hub."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _offline_message(repo_id: str) -> str:
    if "/" in repo_id:
        return f"'{repo_id}' is a Hub id, not in the Hugging Face cache, and HF_HUB_OFFLINE is set"
    return (f"unknown base model '{repo_id}': not an alias, a model folder or a .gguf file, and no Hub model of "
            "that name is in the Hugging Face cache (HF_HUB_OFFLINE is set)")


def _hub_cache(repo_id: str) -> Path | None:
    """The model's folder in the Hugging Face cache when a complete snapshot is there (no network used)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=HUB_FILES, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    return folder if (folder / "config.json").is_file() else None


def _gguf_folder(gguf: Path, log) -> Path:
    digest = sha256_file(gguf)
    target = models_dir() / f"gguf-{gguf.stem}-{digest[:12]}"
    if not (target / MODEL_INFO).is_file():
        log(f"Converting {gguf.name} to a Hugging Face folder (once)...")
        try:
            import_gguf(gguf, target, {"alias": target.name, "source": str(gguf.resolve()), "gguf_sha256": digest})
        except OSError as error:
            raise BotsmithError(f"cannot write the model cache in {models_dir()}: {error.strerror or error}") from None
    return target


def _from_hub(repo_id: str) -> Path:
    offline_hint = (f"download it once while online (into the Hugging Face cache), or use an alias "
                    f"({', '.join(aliases())}), a model folder or a .gguf file")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    cached = _hub_cache(repo_id)
    if cached is not None:
        return cached
    if hub_offline():
        raise BotsmithError(_offline_message(repo_id), hint=offline_hint)
    try:
        return Path(snapshot_download(repo_id, allow_patterns=HUB_FILES, etag_timeout=10))
    except RepositoryNotFoundError:
        raise BotsmithError(f"'{repo_id}' was not found on the Hugging Face Hub (private or misspelled?)",
                            hint=f"or use an alias ({', '.join(aliases())}), a model folder or a .gguf file") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        reason = str(error).splitlines()[0][:160]
        raise BotsmithError(f"cannot reach the Hugging Face Hub for '{repo_id}' ({reason})", hint=offline_hint) from None
