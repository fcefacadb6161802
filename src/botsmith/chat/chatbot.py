"""A loaded bot you can talk to: `Chatbot.from_bot(folder)` or `Chatbot.from_model(spec)`.

It owns the model, its chat format (the only source of the template and stop
markers) with the bot's system prompt (see botsmith.system_prompt), the sampling
defaults from [generate] and the context window, and turns messages or story
openings into streamed text through the generation engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.chat.context import FittedPrompt, fit_conversation
from botsmith.chat.generate import Engine, GenerationStats, GenerationStream, model_window
from botsmith.chat.sampling import Sampling
from botsmith.chat_format import template_setting
from botsmith.config import GenerateSection
from botsmith.errors import BotsmithError

ROLES = ("system", "user", "assistant")


@dataclass
class Request:
    """One reply for `Chatbot.replies`: the bot's turn after `messages`, or else a continuation of `text`, with
    sampling overrides (`temperature`, `seed`, `max_new_tokens`...)."""

    messages: Sequence[dict[str, Any]] | None = None
    text: str | None = None
    sampling: dict[str, Any] = field(default_factory=dict)
    stop: Sequence[str] = ()  # stop strings besides the chat format's


class Chatbot:
    def __init__(self, loaded: Any, *, name: str, mode: str = "chat", system_prompt: str | None = None,
                 generate: GenerateSection | None = None, gguf: Path | None = None,
                 log: Callable[[str], None] = print) -> None:
        """`system_prompt`: the bot's (None: keep what the model's chat format has, e.g. a base model's own
        default); `gguf`: the model as a GGUF file, for [generate] backend = "llama.cpp" (with "auto", the default,
        llama.cpp runs it where it is given, torch otherwise)."""
        self.loaded = loaded
        self.name = name
        self.mode = mode
        self._use_format(loaded.chat_format if system_prompt is None else loaded.chat_format.with_system(system_prompt))
        self.defaults = generate or GenerateSection()
        self.log = log
        window = model_window(loaded.model)
        if self.defaults.context_tokens:
            window = min(window, self.defaults.context_tokens)
        # backend auto: llama.cpp where the caller found a GGUF to run (from_bot: a current export), else torch.
        backend = self.defaults.backend
        if backend == "auto":
            backend = "llama.cpp" if gguf is not None else "torch"
        self.engine = Engine(loaded.model, loaded.tokenizer, stop_strings=self.chat_format.stop, context_window=window,
                             weights=self.defaults.weights, fast=self.defaults.fast_path, backend=backend,
                             gguf=gguf, log=log)
        self.last_fit: FittedPrompt | None = None

    @classmethod
    def from_bot(cls, bot_dir: str | Path = ".", checkpoint: str | None = None, *,
                 generate: GenerateSection | None = None, gguf: str | Path | None = None,
                 log: Callable[[str], None] = print) -> "Chatbot":
        """The bot's trained model: `checkpoint` is best|final|last|PATH|base.

        None means best, or the base model (with a notice) while the bot has no trained checkpoint yet.
        `generate` replaces the bot's [generate] section (the CLI passes it with its flags applied).
        With backend llama.cpp, `gguf` (default: the bot's GGUF export) is found before any model loads; with
        backend auto, llama.cpp runs `gguf` or else the bot's verified GGUF export of this very checkpoint, where
        llama-cpp-python is installed, and torch runs otherwise (one log line says which, and why).
        """
        from botsmith import system_prompt
        from botsmith.bot_folder import open_bot
        from botsmith.models import CHECKPOINT_INFO, read_checkpoint_info
        from botsmith.runs import resolve_checkpoint

        folder = open_bot(bot_dir)
        config = folder.config()
        generate = generate or config.generate
        dtype = generate.dtype
        if generate.backend == "llama.cpp":
            gguf = _gguf_for_llama_cpp(folder, checkpoint, gguf, config.export.quant, log)
        path: Path | None = None
        if checkpoint is None:
            try:
                path = resolve_checkpoint(folder.runs_dir, "best")
            except BotsmithError:  # no run has a best checkpoint yet
                log(f"{config.bot.name} has no trained checkpoint yet: talking to the base model {config.bot.base_model}.")
        elif checkpoint != "base":
            path = resolve_checkpoint(folder.runs_dir, checkpoint)
        if generate.backend == "auto":
            gguf = _gguf_for_auto(folder, checkpoint, path, gguf, generate, config, log)
        loaded = _load(path or config.bot.base_model, log, dtype,
                       chat_template=template_setting(config.bot.chat_template, folder.root), weights=gguf is None)
        info = read_checkpoint_info(path) if path is not None and (path / CHECKPOINT_INFO).is_file() else None
        # The base model too is talked to with the bot's system prompt: that is what "before training" means.
        system = system_prompt.for_runtime(config, folder.dataset_dir, info)
        return cls(loaded, name=config.bot.name, mode=config.bot.mode, system_prompt=system or "",
                   generate=generate, gguf=gguf, log=log)

    @classmethod
    def from_model(cls, spec_or_path: str | Path, *, name: str | None = None, generate: GenerateSection | None = None,
                   gguf: str | Path | None = None, log: Callable[[str], None] = print) -> "Chatbot":
        """A base model (alias, folder, .gguf, Hub id) or a checkpoint folder, without a bot folder.

        With backend llama.cpp, `gguf` defaults to `spec_or_path` when that is a .gguf file; so does backend auto
        (the default) where llama-cpp-python is installed.
        """
        from botsmith.chat.llama_cpp_runner import checked_gguf
        from botsmith.llama_cpp_runtime import llama_cpp_available, require_llama_cpp

        backend = generate.backend if generate else "auto"
        is_gguf = str(spec_or_path).endswith(".gguf")
        if backend == "llama.cpp" or (backend == "auto" and (gguf or (is_gguf and llama_cpp_available()))):
            gguf = checked_gguf(gguf or spec_or_path) if gguf or is_gguf else None
            require_llama_cpp()
        loaded = _load(spec_or_path, log, generate.dtype if generate else "auto", weights=gguf is None)
        return cls(loaded, name=name or Path(str(spec_or_path)).name, generate=generate, gguf=gguf, log=log)

    @property
    def system_prompt(self) -> str:
        """The bot's system prompt: the system message of every conversation that brings none ("" for none)."""
        return self.chat_format.system_prompt or ""

    @system_prompt.setter
    def system_prompt(self, text: str | None) -> None:
        # The format carries it, so the prompt text is the one training rendered, with no base persona either way.
        self._use_format(self.chat_format.with_system(text or None))

    def _use_format(self, chat_format: Any) -> None:
        self.chat_format = chat_format
        # Window fitting counts each turn on its own: the default system prompt goes in explicitly instead.
        self._default_system = chat_format.default_system()
        self._fitting_format = chat_format.with_system(None)

    @property
    def context_window(self) -> int:
        return self.engine.context_window

    def sampling(self, **overrides: Any) -> Sampling:
        return Sampling.from_config(self.defaults, **overrides)

    def stream(self, messages: Sequence[dict[str, Any]], *, stop: Sequence[str] = (),
               cancel: Callable[[], bool] | None = None, **sampling: Any) -> GenerationStream:
        """Stream the bot's next turn after `messages` ({"role", "content"} dicts), as text pieces."""
        settings = self.sampling(**sampling)
        fitted = self.fit(messages, settings)
        return self.engine.generate(fitted.prompt_ids, settings, stop=stop, cancel=cancel)

    def replies(self, requests: Sequence[Request], *, cancel: Callable[[], bool] | None = None
                ) -> list[tuple[str, GenerationStats]]:
        """Each request's whole reply and its stats: the text `stream` (`messages`) or `stream_complete` (`text`)
        writes with the request's sampling settings and stops, several decoded side by side where the engine can
        (`Engine.generate_batch`); once `cancel()` is true, the replies not yet complete end "cancelled"."""
        jobs = []
        for request in requests:
            settings = self.sampling(**request.sampling)
            ids = (self.fit(request.messages, settings).prompt_ids if request.messages is not None
                   else self._completion_ids(request.text or "", settings))
            jobs.append((ids, settings, tuple(request.stop)))
        return self.engine.generate_batch(jobs, cancel=cancel)

    def reply(self, messages: Sequence[dict[str, Any]], **sampling: Any) -> str:
        return self.stream(messages, **sampling).text().strip()

    def fit(self, messages: Sequence[dict[str, Any]], settings: Sampling) -> FittedPrompt:
        """The prompt for `messages` with the system prompt added, trimmed to the window."""
        conversation = [_checked(message, index) for index, message in enumerate(messages)]
        if self._default_system is not None and not (conversation and conversation[0]["role"] == "system"):
            conversation.insert(0, {"role": "system", "content": self._default_system})
        tokenizer = self.loaded.tokenizer
        self.last_fit = fit_conversation(
            conversation, self._fitting_format, self.engine.encode,
            lambda ids: tokenizer.decode(ids, skip_special_tokens=False), self._prompt_budget(settings),
        )
        return self.last_fit

    def _prompt_budget(self, settings: Sampling) -> int:
        # Room for the reply, but never more than half the window: history matters too.
        return self.context_window - min(settings.max_new_tokens, self.context_window // 2)

    def stream_complete(self, prompt: str, *, stop: Sequence[str] = (), cancel: Callable[[], bool] | None = None,
                        **sampling: Any) -> GenerationStream:
        """Stream a continuation of plain text (no chat template): story openings for completion bots."""
        settings = self.sampling(**sampling)
        return self.engine.generate(self._completion_ids(prompt, settings), settings, stop=stop, cancel=cancel)

    def _completion_ids(self, prompt: str, settings: Sampling) -> list[int]:
        ids = self.engine.encode(prompt, add_special_tokens=True)
        bos = self.loaded.tokenizer.bos_token_id
        if not ids and bos is not None:
            ids = [bos]
        return ids[-self._prompt_budget(settings):]

    def complete(self, prompt: str, n: int = 1, **sampling: Any) -> list[str]:
        """`n` continuations of `prompt`, decoded side by side (`replies`); the seeds as `complete_streams` gives them."""
        return [text for text, _ in self.replies([Request(text=prompt, sampling=settings)
                                                  for settings in self.sample_settings(n, sampling)])]

    def complete_streams(self, prompt: str, n: int = 1, **sampling: Any) -> Iterator[GenerationStream]:
        """`n` streamed continuations; with a seed, sample i uses seed + i (reproducible, yet different)."""
        for settings in self.sample_settings(n, sampling):
            yield self.stream_complete(prompt, **settings)

    def sample_settings(self, n: int, sampling: dict[str, Any]) -> list[dict[str, Any]]:
        """`sampling` for each of `n` samples of one request: seed, seed + 1, ... from the request's seed, else the
        bot's `[generate] seed` (reproducible, yet different); no seed at all where neither sets one."""
        if n < 1:
            raise BotsmithError(f"n = {n}: ask for at least one sample")
        seed = sampling.get("seed")
        if seed is None and self.defaults.seed >= 0:
            seed = self.defaults.seed
        return [{**sampling, "seed": None if seed is None else seed + index} for index in range(n)]


def _checked(message: Any, index: int) -> dict[str, Any]:
    if not isinstance(message, dict) or message.get("role") not in ROLES or not isinstance(message.get("content"), str):
        raise BotsmithError(f"message {index}: expected {{'role': system|user|assistant, 'content': text}}, got {message!r:.80}")
    return {"role": message["role"], "content": message["content"]}


def _gguf_for_llama_cpp(folder: Any, checkpoint: str | None, gguf: str | Path | None, quant: str,
                        log: Callable[[str], None]) -> Path:
    """The GGUF llama.cpp will run, and llama-cpp-python checked importable, before the slow model load."""
    from botsmith.chat.llama_cpp_runner import bot_gguf, checked_gguf
    from botsmith.llama_cpp_runtime import require_llama_cpp

    path = checked_gguf(gguf) if gguf else bot_gguf(folder, checkpoint, quant, log)
    require_llama_cpp()
    return path


def _gguf_for_auto(folder: Any, checkpoint: str | None, weights: Path | None, gguf: str | Path | None,
                   generate: GenerateSection, config: Any, log: Callable[[str], None]) -> Path | None:
    """backend auto: the GGUF llama.cpp runs (an explicit one, else the bot's current export), or None for torch;
    one line says which backend runs and why."""
    from botsmith.chat.llama_cpp_runner import checked_gguf, current_export
    from botsmith.llama_cpp_runtime import require_llama_cpp
    from botsmith.models import resolve_model

    if gguf:
        require_llama_cpp()
        return checked_gguf(gguf)
    if generate.dtype == "float32":
        log('backend auto: torch ([generate] dtype = "float32" asks for transformers\' fp32 replies, not a GGUF\'s)')
        return None
    weights_dir = weights or resolve_model(config.bot.base_model, log=log)
    found, why_not = current_export(folder, checkpoint, weights_dir, config.export.quant)
    if found is None:
        log(f"backend auto: torch ({why_not})")
    else:
        log(f"backend auto: llama.cpp, on {found.relative_to(folder.root)} (the verified export of this checkpoint)")
    return found


def _load(spec_or_path: str | Path, log: Callable[[str], None], dtype: str = "auto", chat_template: str = "",
          weights: bool = True) -> Any:
    """A checkpoint folder (botsmith_checkpoint.json), or a base model with the chat format `chat_template`
    chooses (a checkpoint keeps the one it was trained with), LoRA merged for speed.

    `weights=False` (llama.cpp computes the logits from a GGUF) builds the model without its weights."""
    from botsmith.models import CHECKPOINT_INFO, load_base, load_checkpoint, load_shell, pick_dtype

    path = Path(str(spec_or_path))
    torch_dtype = pick_dtype(dtype)
    if not weights:
        return load_shell(spec_or_path, dtype=torch_dtype, chat_template=chat_template, log=log)
    if (path / CHECKPOINT_INFO).is_file():
        loaded = load_checkpoint(path, dtype=torch_dtype, merge=True, log=log)
    else:
        loaded = load_base(str(spec_or_path), dtype=torch_dtype, chat_template=chat_template, log=log)
    loaded.model.eval()
    return loaded
