"""The llama.cpp backend: the engine's logits come from the bot's exported GGUF, run by llama.cpp.

Only the forward pass moves. Sampling, stop tokens and strings, detokenizing, chat
sessions and the server stay botsmith's, on the same token ids: the GGUF export keeps
the Hugging Face tokenizer's ids (the export's own llama.cpp check verifies that).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from botsmith.chat.context import cached_prefix_length
from botsmith.errors import BotsmithError
from botsmith.llama_cpp_runtime import llama_cpp_available, load_llama, require_llama_cpp

DEFAULT_CHECKPOINTS = (None, "best")  # what `botsmith export` exports unless told otherwise


class LlamaCppRunner:
    """`prefill(ids, capacity)` and `step(token_id)` return float32 logits over the vocabulary, like the torch runners."""

    def __init__(self, path: Path, *, context_window: int, vocab_size: int) -> None:
        import torch

        require_llama_cpp()
        self.path = path
        # Logits for the last token only (logits_all=False): the engine never looks further back.
        try:
            self.llm = load_llama(path, n_ctx=context_window, n_threads=torch.get_num_threads(), logits_all=False)
        except ValueError as error:  # llama-cpp-python's word for a file llama.cpp cannot read
            raise BotsmithError(f"llama.cpp cannot load {path} ({error})", hint="export it again "
                                "(botsmith export BOT --format gguf --force) or use --backend torch") from None
        if self.llm.n_vocab() != vocab_size:
            raise BotsmithError(f"{path} has a {self.llm.n_vocab()}-token vocabulary, the model {vocab_size}",
                                hint="export this checkpoint again: botsmith export BOT --format gguf --force")

    def prefill(self, ids: list[int], capacity: int) -> Any:
        """Logits after `ids`. A chat's next prompt starts with the last one (system prompt, earlier turns, the
        reply): the cache keeps that common prefix and only the new tokens are processed."""
        common = self._cached_prefix(ids)
        self.llm.n_tokens = common  # eval drops every cached position from n_tokens on, then appends
        self.llm.eval(ids[common:])
        return self._last_logits()

    def _cached_prefix(self, ids: list[int]) -> int:
        """How many leading tokens of `ids` the cache holds and may keep (at least one token must be processed,
        for its logits); 0 where llama.cpp cannot cut a cache short (recurrent models)."""
        common = cached_prefix_length(self.llm.input_ids[:self.llm.n_tokens].tolist(), ids)
        if common and not self.llm._ctx.kv_cache_seq_rm(-1, common, -1):
            self.llm.reset()
            return 0
        return common

    def step(self, token_id: int) -> Any:
        self.llm.eval([token_id])
        return self._last_logits()

    def stale(self) -> bool:
        return False  # the GGUF on disk does not change under a loaded model

    def _last_logits(self) -> Any:
        import llama_cpp
        import numpy as np
        import torch

        row = llama_cpp.llama_get_logits_ith(self.llm.ctx, -1)
        # Copied: llama.cpp reuses this buffer on the next eval, and the engine edits logits in place.
        return torch.from_numpy(np.ctypeslib.as_array(row, shape=(self.llm.n_vocab(),)).copy())


def bot_gguf(folder: Any, checkpoint: str | None, preferred_quant: str, log: Callable[[str], None]) -> Path:
    """The bot's full-model GGUF export (exports/gguf-<quant>/*.gguf) for `checkpoint`.

    Exports do not record their checkpoint, so only the default one (best) can be matched to them;
    a GGUF older than that checkpoint is used with a notice to re-export.
    """
    if checkpoint not in DEFAULT_CHECKPOINTS:
        raise BotsmithError(f"--backend llama.cpp runs the bot's GGUF export, which holds the best checkpoint, "
                            f"not '{checkpoint}'", hint="pass --gguf PATH with a GGUF of that checkpoint")
    candidates = sorted(folder.exports_dir.glob("gguf-*/*.gguf"), key=lambda path: path.stat().st_mtime)
    candidates = [path for path in candidates if path.parent.name != "gguf-lora"]
    if not candidates:
        base = "" if _best_checkpoint(folder) else " --checkpoint base"  # untrained: export would find no best
        install = "" if llama_cpp_available() else ", and pip install 'botsmith[llamacpp]'"
        raise BotsmithError("no GGUF export for this bot",
                            hint=f"run botsmith export {folder.root} --format gguf{base} first{install}")
    preferred = [path for path in candidates if path.parent.name == f"gguf-{preferred_quant}"]
    path = (preferred or candidates)[-1]
    _warn_if_older_than_best(path, folder, log)
    return path


def _best_checkpoint(folder: Any) -> Path | None:
    from botsmith.runs import resolve_checkpoint

    try:
        return resolve_checkpoint(folder.runs_dir, "best")
    except BotsmithError:  # not trained yet
        return None


def _warn_if_older_than_best(path: Path, folder: Any, log: Callable[[str], None]) -> None:
    best = _best_checkpoint(folder)
    if best is None:  # the export can only be of the base model
        return
    newest = max((file.stat().st_mtime for file in best.iterdir()), default=0.0)
    if newest > path.stat().st_mtime:
        log(f"{path.name} is older than the best checkpoint {best}: "
            f"re-export it (botsmith export {folder.root} --format gguf --force) to talk to the newest one.")


def current_export(folder: Any, checkpoint: str | None, weights_dir: Path,
                   preferred_quant: str) -> tuple[Path | None, str]:
    """For backend auto: (the bot's verified GGUF export of exactly the weights in `weights_dir`, "") or (None, why).

    `checkpoint` is the one asked for (None: best, or the base model before training), for the export command.
    An export knows its weights from its record (export/record.py); among several current ones the
    `[export] quant` folder wins, then the newest.
    """
    from botsmith.export.record import read_export_record, weights_fingerprint

    if not llama_cpp_available():
        return None, "llama-cpp-python is not installed (pip install 'botsmith[llamacpp]' for llama.cpp's speed)"
    exports = [path for path in sorted(folder.exports_dir.glob("gguf-*/*.gguf"), key=lambda path: path.stat().st_mtime)
               if path.parent.name != "gguf-lora"]
    fingerprint = weights_fingerprint(weights_dir)
    records = {path: read_export_record(path.parent) or {} for path in exports}
    current = [path for path, record in records.items() if record.get("weights") == fingerprint]
    verified = [path for path in current if records[path].get("verified")]
    preferred = [path for path in verified if path.parent.name == f"gguf-{preferred_quant}"]
    if preferred or verified:
        return (preferred or verified)[-1], ""
    if checkpoint is None:
        checkpoint = "best" if _best_checkpoint(folder) else "base"
    export = f"botsmith export {folder.root} --format gguf"
    export += "" if checkpoint == "best" else f" --checkpoint {checkpoint}"
    if current:
        return None, f"{current[-1].name} was exported without verification: {export} --force checks it"
    if exports:
        return None, (f"no GGUF export holds this checkpoint ({exports[-1].name} is older or of another one): "
                      f"{export} --force")
    return None, f"no GGUF export of this checkpoint: {export} makes one for llama.cpp's speed"


def checked_gguf(path: str | Path) -> Path:
    """An explicit --gguf path, which must be a file."""
    gguf = Path(path)
    if not gguf.is_file():
        raise BotsmithError(f"--gguf {gguf}: no such file")
    return gguf
