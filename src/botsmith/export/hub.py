"""Share on the Hugging Face Hub: the model folder (and the GGUF Ollama reads), or the dataset.

The token comes from HF_TOKEN or the huggingface_hub login and only ever goes to
huggingface_hub: it is never printed, logged, or written into the bot folder. Each
push is one commit, so a repo never shows half an upload.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botsmith.bot_folder import open_bot
from botsmith.errors import BotsmithError

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
OLLAMA_FILES = ("template", "params", "system")


def hub_token() -> str:
    from huggingface_hub import get_token

    token = os.environ.get("HF_TOKEN") or get_token()
    if not token:
        raise BotsmithError("no Hugging Face token", hint="set HF_TOKEN or run 'hf auth login' (a write token)")
    return token


def check_repo(repo: str | None, default: str = "") -> str:
    repo = repo or default
    if not repo:
        raise BotsmithError("no Hub repo given", hint="pass --repo user/name or set [export] hub_repo in botsmith.toml")
    if not REPO_ID.match(repo):
        raise BotsmithError(f"'{repo}' is not a Hub repo id", hint="use the form user/name")
    return repo


def push_model(bot_dir: str | Path = ".", *, repo: str | None = None, private: bool = False, gguf: bool = False,
               quant: str | None = None, checkpoint: str = "best", log: Callable[[str], None] = print) -> str:
    """Upload exports/hf (exported first if missing), and with `gguf` the GGUF + Ollama files; returns the URL."""
    from botsmith.export.api import export_model

    folder = open_bot(bot_dir)
    config = folder.config()
    repo = check_repo(repo, config.export.hub_repo)
    _refuse_offline()
    token = hub_token()
    hf_dir = folder.exports_dir / "hf"
    if not (hf_dir / "config.json").is_file():
        export_model(folder.root, format="hf", checkpoint=checkpoint, log=log)
    files = {path.name: path for path in hf_dir.iterdir() if path.is_file() and path.name != "README.md"}
    card = _repo_card((hf_dir / "README.md").read_text(encoding="utf-8"), repo)
    if gguf:
        quant = (quant or config.export.quant).lower()
        gguf_dir = folder.exports_dir / f"gguf-{quant}"
        if not any(gguf_dir.glob("*.gguf")):
            export_model(folder.root, format="gguf", quant=quant, checkpoint=checkpoint, log=log)
        for path in gguf_dir.iterdir():
            if path.suffix == ".gguf" or path.name in OLLAMA_FILES:
                files[path.name] = path
        card += _gguf_section(repo, sorted(name for name in files if name.endswith(".gguf")))
    log(f"Uploading {len(files) + 1} files to {repo}...")
    return upload(repo, files, card, token=token, private=private, repo_type="model",
                  message=f"Upload {config.bot.name} from botsmith")


def push_dataset(bot_dir: str | Path = ".", *, repo: str | None = None, private: bool | None = None,
                 log: Callable[[str], None] = print) -> str:
    """Upload data/dataset (train/validation JSONL, stats) with a dataset card; returns the URL.

    `private=None` (the default) makes a chat bot's dataset private, since it holds other people's
    messages, and any other dataset public."""
    from botsmith.export.dataset_card import dataset_card

    folder = open_bot(bot_dir)
    config = folder.config()
    repo = check_repo(repo)
    files = {path.name: path for path in sorted(folder.dataset_dir.glob("*")) if path.suffix in (".jsonl", ".json")}
    if not any(name.endswith(".jsonl") for name in files):
        raise BotsmithError(f"{folder.dataset_dir} has no dataset", hint="build it first: botsmith build BOT")
    _refuse_offline()
    token = hub_token()
    if private is None:
        private = config.bot.mode == "chat"
        if private:
            log("This dataset holds chat messages, other people's among them: the repo will be private "
                "(pass --public to publish it).")
    log(f"Uploading {len(files) + 1} files to the {'private' if private else 'public'} dataset repo {repo}...")
    return upload(repo, files, dataset_card(folder, config, files), token=token, private=private, repo_type="dataset",
                  message=f"Upload the {config.bot.name} dataset from botsmith")


def upload(repo: str, files: dict[str, Path], card: str, *, token: str, private: bool, repo_type: str,
           message: str) -> str:
    """Create the repo if needed and add every file in one commit."""
    from huggingface_hub import CommitOperationAdd, HfApi

    # HF_ENDPOINT is read here rather than at import, so a mirror (or a test server) set later still applies.
    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token)
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(path)) for name, path in files.items()]
    operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card.encode("utf-8")))
    try:
        url = api.create_repo(repo, private=private, exist_ok=True, repo_type=repo_type)
        if private:
            _check_still_private(api, repo, repo_type)
        api.create_commit(repo, operations, commit_message=message, repo_type=repo_type)
    except BotsmithError:
        raise
    except Exception as error:  # huggingface_hub raises HTTP, connection and value errors alike
        raise BotsmithError(f"could not upload to the Hugging Face Hub repo {repo}: {_reason(error, token)}",
                            hint="check your connection and that the token can write to that repo") from None
    return str(url)


def _check_still_private(api: Any, repo: str, repo_type: str) -> None:
    """create_repo leaves an existing repo as it is: a private upload must not land in a public one."""
    if not api.repo_info(repo, repo_type=repo_type).private:
        raise BotsmithError(f"the {repo_type} repo {repo} already exists and is public; nothing was uploaded",
                            hint="make it private on the Hub, choose another --repo, or pass --public")


def _reason(error: Exception, token: str) -> str:
    text = (str(error).splitlines() or [type(error).__name__])[0][:200]
    return text.replace(token, "***") if token else text


def _refuse_offline() -> None:
    from botsmith.models.resolve import hub_offline

    if hub_offline():
        raise BotsmithError("cannot push: HF_HUB_OFFLINE is set", hint="unset HF_HUB_OFFLINE when you are online")


def _repo_card(card: str, repo: str) -> str:
    return card.replace('"user/name"', f'"{repo}"').replace("hf.co/user/name", f"hf.co/{repo}")


def _gguf_section(repo: str, gguf_names: list[Any]) -> str:
    listed = "\n".join(f"- `{name}`" for name in gguf_names)
    return (f"\n## GGUF (llama.cpp, Ollama)\n\n{listed}\n\n```bash\nollama run hf.co/{repo}\n```\n\n"
            "The `template` and `params` files give Ollama the chat template and stop markers the bot was trained with.\n")
