"""The generation engine: one forward pass per new token over a KV cache, streamed as text.

The prompt is encoded once (prefill); each later step feeds only the newest token
and reuses the cached keys and values, so a reply costs one small forward pass per
token instead of re-reading the whole history. The model runs in the dtype it was
loaded in (bf16 on CPUs with AMX, see `botsmith.models.pick_dtype`). Generation
ends at an end-of-turn marker, an end-of-sequence or other special token, a stop
string, the token budget or a cancel request; markers are never part of the text.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.chat.detokenize import IncrementalDecoder, StopFilter
from botsmith.chat.sampling import Sampling, next_token
from botsmith.errors import BotsmithError

BACKENDS = ("torch", "llama.cpp")
BATCH_WIDTH = 8  # replies decoded side by side in `generate_batch` (bench/generate_batch.py)
# Most memory the side-by-side caches may take: SmolLM2-135M in bf16 needs 23 MB a slot for 1,000 positions;
# SmolLM2-1.7B at 2,048 positions needs 403 MB a slot in bf16 (two slots) and 805 MB in float32 (one: one reply
# after another).
BATCH_CACHE_BYTES = 1 << 30


@dataclass
class GenerationStats:
    prompt_tokens: int
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop" | "length" | "cancelled"
    seed: int | None = None
    started: float = field(default_factory=time.perf_counter)
    first_token_s: float | None = None
    seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


class GenerationStream:
    """An iterator over text pieces; `.stats` is complete once it is exhausted."""

    def __init__(self, pieces: Iterator[str], stats: GenerationStats) -> None:
        self._pieces = pieces
        self.stats = stats

    def __iter__(self) -> "GenerationStream":
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def text(self) -> str:
        return "".join(self)

    def close(self) -> None:
        """Stop early (the caller went away); the stats say "cancelled"."""
        self._pieces.close()  # type: ignore[attr-defined]
        if self.stats.finish_reason is None:
            self.stats.finish_reason = "cancelled"


def stop_token_ids(model: Any, tokenizer: Any, markers: Sequence[str]) -> set[int]:
    """Token ids that end a reply: eos ids, single-token markers, and every special token.

    A special token inside a reply is always the model starting a new turn or a new
    document (e.g. ChatML's <|im_start|> without <|im_end|>), never content.
    """
    ids: set[int] = set()
    for eos in (tokenizer.eos_token_id, getattr(getattr(model, "generation_config", None), "eos_token_id", None)):
        ids.update(eos if isinstance(eos, (list, tuple)) else [eos] if eos is not None else [])
    vocab = tokenizer.get_vocab()
    ids.update(vocab[marker] for marker in markers if marker in vocab)
    ids.update(tokenizer.all_special_ids)
    ids.update(index for index, token in tokenizer.added_tokens_decoder.items() if token.special)
    return {int(index) for index in ids if index is not None}


def penalty_mask(prompt_ids: Sequence[int], vocab_size: int, stop_ids: Sequence[int]) -> Any:
    """The tokens the repetition penalty starts with: the prompt's, less the stop tokens.

    The chat template ends every turn of the prompt with the marker the reply must end
    with; counted as a repeated token, stopping itself is penalised and replies run on to
    the token budget (the default Elizabeth bot ended 54 % of its replies to held-out lines
    with it, 84 % without; docs/train.md, "Sampling and style"). The markers are the
    template's, not words the model could repeat, so they are left out (transformers
    counts every token of the prompt; llama.cpp once spared only the newline).
    """
    import torch

    mask = torch.zeros(vocab_size, dtype=torch.bool)
    ids = torch.tensor(list(prompt_ids), dtype=torch.long)
    mask[ids[(ids >= 0) & (ids < vocab_size)]] = True
    stops = torch.tensor(list(stop_ids), dtype=torch.long)
    mask[stops[(stops >= 0) & (stops < vocab_size)]] = False
    return mask


class Engine:
    def __init__(self, model: Any, tokenizer: Any, *, stop_strings: Sequence[str] = (),
                 context_window: int | None = None, fast: bool = True, weights: str = "full",
                 backend: str = "torch", gguf: Path | None = None, log: Callable[[str], None] = print) -> None:
        """`fast=False` ([generate] fast_path = false) keeps transformers' modules even for Llama models.
        Which pass decodes is logged once, here; the lean pass only after its probe agreed with transformers.

        `weights="int8"` runs the fast path on int8 copies of the weights (see chat/projections.py); where
        that cannot run, `log` says why once and the engine keeps the full weights.
        `backend="llama.cpp"` computes the logits with llama.cpp from `gguf`, the model exported as GGUF
        (see chat/llama_cpp_runner.py); `model` then only supplies its config and generation settings.
        """
        if backend not in BACKENDS:
            raise BotsmithError(f"backend = {backend!r}: expected one of {', '.join(BACKENDS)}")
        self.model = model
        self.fast = fast
        self.backend = backend
        self.weights = _usable_weights(model, weights, fast, backend, log)
        self._fast_runner: Any = None
        self._probe_failure: str | None = None
        self._batch_problem_logged = False
        self.tokenizer = tokenizer
        self.stop_strings = tuple(stop_strings)
        self.stop_ids = sorted(stop_token_ids(model, tokenizer, stop_strings))
        self.context_window = context_window or model_window(model)
        self._llama_cpp = _llama_cpp_runner(model, gguf, self.context_window) if backend == "llama.cpp" else None
        self.log = log
        if self._llama_cpp is None:
            self._runner()  # fuse and probe the weights now, at load time, not during the first reply
        log(f"decoding: {self.decoder_description()}")

    def encode(self, text: str, *, add_special_tokens: bool = False) -> list[int]:
        return self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]

    def generate(self, prompt_ids: Sequence[int], sampling: Sampling, *, stop: Sequence[str] = (),
                 cancel: Callable[[], bool] | None = None) -> GenerationStream:
        """Stream the continuation of `prompt_ids` as text pieces."""
        reply = self._reply(prompt_ids, sampling, stop)
        return GenerationStream(self._pieces(reply, cancel), reply.stats)

    def generate_batch(self, requests: Sequence[tuple[Sequence[int], Sampling, Sequence[str]]], *,
                       width: int = BATCH_WIDTH, cancel: Callable[[], bool] | None = None
                       ) -> list[tuple[str, GenerationStats]]:
        """Each request's (prompt ids, sampling, stop strings) whole reply and its stats, as `generate` gives it.

        The lean Llama pass decodes `width` replies side by side: each step multiplies every weight matrix by
        the new tokens of all of them at once, where one reply at a time reads every weight once per token, and a
        reply that ends hands its slot to the next request. Each reply keeps its own seed, penalty and stops,
        so it is the reply `generate` writes (up to float rounding in the sums). Other passes (transformers'
        modules, llama.cpp) answer one request after another, as does a model whose caches for two slots would
        pass BATCH_CACHE_BYTES. Once `cancel()` is true, every reply not yet complete ends "cancelled".
        """
        replies = [self._reply(ids, sampling, stop) for ids, sampling, stop in requests]
        runner = self._runner()
        capacity = max((len(reply.prompt_ids) + reply.budget for reply in replies), default=0)
        width = self._batch_width(runner, len(replies), capacity, width)
        if width < 2:
            for reply in replies:
                if not (cancel is not None and cancel()):
                    reply.stats.started = time.perf_counter()  # its time runs from its own start
                    for _ in self._pieces(reply, cancel):
                        pass  # the reply keeps its text
        else:
            self._side_by_side(runner.batch(width, capacity), replies, cancel)
        for reply in replies:
            if reply.stats.finish_reason is None:  # not complete when the cancel came
                reply.stats.finish_reason = "cancelled"
                reply.stats.seconds = time.perf_counter() - reply.stats.started if reply.picked else 0.0
        return [(reply.text, reply.stats) for reply in replies]

    def _batch_width(self, runner: Any, count: int, capacity: int, width: int) -> int:
        """Replies to decode side by side: 1 (one after another) where the pass cannot batch, where its batch did
        not match it on a probe (logged once), or where caches of `capacity` positions for two would pass
        BATCH_CACHE_BYTES."""
        if not hasattr(runner, "batch") or count < 2:
            return 1
        problem = runner.batch_problem()
        if problem is not None:
            if not self._batch_problem_logged:
                self.log(f"replies decoded one after another, not side by side: {problem}")
                self._batch_problem_logged = True
            return 1
        return min(width, count, BATCH_CACHE_BYTES // runner.cache_bytes(capacity))

    @staticmethod
    def _side_by_side(batch: Any, replies: list["_Reply"], cancel: Callable[[], bool] | None) -> None:
        import torch

        pending = deque(replies)
        slots: list[tuple[_Reply, int] | None] = [None] * batch.width
        with torch.inference_mode():
            for slot in range(batch.width):
                slots[slot] = _start_next(batch, slot, pending, cancel)
            while any(slots) and not (cancel is not None and cancel()):
                logits = batch.step([entry[1] if entry else None for entry in slots])
                for slot, entry in enumerate(slots):
                    if entry is not None:
                        token = _advance(entry[0], logits[slot])
                        slots[slot] = ((entry[0], token) if token is not None
                                       else _start_next(batch, slot, pending, cancel))

    def _reply(self, prompt_ids: Sequence[int], sampling: Sampling, stop: Sequence[str]) -> "_Reply":
        room = self.context_window - len(prompt_ids)
        if not prompt_ids:
            raise BotsmithError("empty prompt: there is nothing to continue")
        if room < 1:
            raise BotsmithError(f"the prompt has {len(prompt_ids)} tokens and fills the model's {self.context_window}-token window",
                                hint="shorten it or start a new conversation")
        stats = GenerationStats(prompt_tokens=len(prompt_ids), seed=sampling.resolved_seed())
        return _Reply(self, list(prompt_ids), sampling, min(sampling.max_new_tokens, room), stats,
                      (*self.stop_strings, *stop))

    def _pieces(self, reply: "_Reply", cancel: Callable[[], bool] | None) -> Iterator[str]:
        try:
            for token_id in self._token_ids(reply):
                text = reply.push(token_id)
                if text:
                    yield text
                if reply.stats.finish_reason is not None:
                    return
                if cancel is not None and cancel():
                    reply.stats.finish_reason = "cancelled"
                    return
            tail = reply.finish()
            if tail:
                yield tail
        finally:
            reply.stats.seconds = time.perf_counter() - reply.stats.started

    def _token_ids(self, reply: "_Reply") -> Iterator[int]:
        import torch

        with torch.inference_mode():
            runner = self._runner()
            logits = runner.prefill(reply.prompt_ids, len(reply.prompt_ids) + reply.budget)
            while (token_id := reply.pick(logits)) is not None:
                yield token_id
                if reply.exhausted:
                    return  # the last token's logits would never be used
                logits = runner.step(token_id)

    def _runner(self) -> Any:
        """The lean Llama pass where it applies (built once, rebuilt if the weights changed), else transformers."""
        from botsmith.chat.fast_llama import fast_runner, probe_runner

        if self._llama_cpp is not None:
            return self._llama_cpp
        if not self.fast:
            return GenericRunner(self.model)
        if self._fast_runner is None or (self._fast_runner and self._fast_runner.stale()):
            runner = fast_runner(self.model, self.weights)
            self._probe_failure = probe_runner(runner, self.model) if runner else None
            if self._probe_failure:
                self.log(f"lean decode pass not used: {self._probe_failure}")
            self._fast_runner = runner if runner and not self._probe_failure else False
        return self._fast_runner or GenericRunner(self.model)

    def decoder_description(self) -> str:
        """Which pass computes the logits, in words, for the log."""
        dtype = str(getattr(self.model, "dtype", "")).replace("torch.", "")
        if self._llama_cpp is not None:
            return f"llama.cpp ({self._llama_cpp.path.name})"
        if self._fast_runner:
            return f"botsmith's lean Llama pass ({dtype}, {self.weights} weights), checked against transformers at load"
        why = ("[generate] fast_path = false" if not self.fast else
               "its probe disagreed with transformers" if self._probe_failure else
               "the lean pass is for plain Llama models on the CPU")
        return f"transformers' modules ({dtype}; {why})"


class _Reply:
    """One reply in the making: its sampler (seeded generator, the repetition penalty's tokens, `min_new_tokens`),
    its text (incremental detokenization, stop strings) and its stats. `Engine.generate` runs one at a time;
    `Engine.generate_batch` runs several side by side."""

    def __init__(self, engine: Engine, prompt_ids: list[int], sampling: Sampling, budget: int,
                 stats: GenerationStats, stops: Sequence[str]) -> None:
        import torch

        self.prompt_ids, self.sampling, self.budget, self.stats = prompt_ids, sampling, budget, stats
        self.stop_ids = engine.stop_ids
        self._stop_set = set(engine.stop_ids)
        self._stop_tensor = torch.tensor(engine.stop_ids, dtype=torch.long)
        self._generator = torch.Generator().manual_seed(stats.seed % (2**63))
        self._seen: Any = None
        self.picked = 0
        self._decoder, self._stop_filter = IncrementalDecoder(engine.tokenizer), StopFilter(stops)
        self.text = ""

    @property
    def exhausted(self) -> bool:
        return self.picked >= self.budget

    def pick(self, logits: Any) -> int | None:
        """The next token from a row of logits (changed in place), or None when the model ends its turn here."""
        if self._seen is None:
            self._seen = penalty_mask(self.prompt_ids, logits.shape[-1], self.stop_ids)
        if self.picked < self.sampling.min_new_tokens:
            logits[self._stop_tensor[self._stop_tensor < logits.shape[-1]]] = float("-inf")
        token_id = next_token(logits, self.sampling, self._seen, self._generator)
        if token_id in self._stop_set:
            self.stats.finish_reason = "stop"
            return None
        self._seen[token_id] = True
        self.picked += 1
        return token_id

    def push(self, token_id: int) -> str:
        """The text `token_id` adds (held back while it may begin a stop string); a completed stop string ends the
        reply."""
        stats = self.stats
        stats.completion_tokens += 1
        if stats.first_token_s is None:
            stats.first_token_s = time.perf_counter() - stats.started
        text = self._stop_filter.push(self._decoder.push(token_id))
        if self._stop_filter.stopped:
            stats.finish_reason = "stop"
        self.text += text
        return text

    def finish(self) -> str:
        """The text still held back, once no token follows; the finish reason is "length" unless it was set."""
        tail = self._stop_filter.push(self._decoder.flush()) + self._stop_filter.flush()
        if self._stop_filter.stopped:
            self.stats.finish_reason = "stop"
        self.stats.finish_reason = self.stats.finish_reason or "length"
        self.text += tail
        return tail


def _advance(reply: _Reply, logits: Any) -> int | None:
    """A batched reply's next token, or None when the reply is complete (its text and stats final)."""
    token_id = reply.pick(logits)
    if token_id is not None:
        reply.push(token_id)
        if reply.stats.finish_reason is None and not reply.exhausted:
            return token_id
    reply.finish()
    reply.stats.seconds = time.perf_counter() - reply.stats.started
    return None


def _start_next(batch: Any, slot: int, pending: "deque[_Reply]", cancel: Callable[[], bool] | None
                ) -> tuple[_Reply, int] | None:
    """The next waiting reply prefilled into `slot` with its first token, or None when none is left (or the
    requests were cancelled: no prompt is read for a client that has gone)."""
    while pending and not (cancel is not None and cancel()):
        reply = pending.popleft()
        reply.stats.started = time.perf_counter()  # its time runs from its prefill, not from the batch's start
        token_id = _advance(reply, batch.prefill(slot, reply.prompt_ids))
        if token_id is not None:
            return reply, token_id
    return None


def _llama_cpp_runner(model: Any, gguf: Path | None, context_window: int) -> Any:
    from botsmith.chat.llama_cpp_runner import LlamaCppRunner

    if gguf is None:
        raise BotsmithError("backend llama.cpp needs the model as a GGUF file", hint="pass --gguf PATH")
    return LlamaCppRunner(gguf, context_window=context_window, vocab_size=model.config.vocab_size)


def _usable_weights(model: Any, weights: str, fast: bool, backend: str, log: Callable[[str], None]) -> str:
    """`weights`, or "full" (with the reason logged) where int8 weights cannot be used for this model here."""
    from botsmith.chat.fast_llama import fast_runner_applies
    from botsmith.chat.projections import WEIGHT_MODES, int8_unavailable

    if weights not in WEIGHT_MODES:
        raise BotsmithError(f"weights = {weights!r}: expected one of {', '.join(WEIGHT_MODES)}")
    if weights == "full":
        return weights
    if backend == "llama.cpp":
        log("int8 weights are for the torch backend: llama.cpp runs the GGUF's own types (q8_0 by default).")
        return "full"
    if not fast or not fast_runner_applies(model):
        log("int8 weights apply only to the Llama fast path on CPU: using full weights for this model.")
        return "full"
    reason = int8_unavailable(model.get_input_embeddings().weight.dtype)
    if reason:
        log(f"int8 weights unavailable: {reason}; using full weights.")
        return "full"
    return weights


class GenericRunner:
    """Any causal LM through its own modules and a transformers `DynamicCache`."""

    def __init__(self, model: Any) -> None:
        import inspect

        self.model = model
        # transformers 5.25 renamed past_key_values to cache (the old name warns on every call); a model with
        # its own code may still take only the old one.
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        self._cache_argument = "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"

    def prefill(self, ids: list[int], capacity: int) -> Any:
        from transformers import DynamicCache

        self.cache = DynamicCache(config=self.model.config)
        return self._forward(ids)

    def step(self, token_id: int) -> Any:
        return self._forward([token_id])

    def _forward(self, ids: list[int]) -> Any:
        import torch

        device = getattr(self.model, "device", "cpu")
        output = self.model(input_ids=torch.tensor([ids], device=device), use_cache=True, logits_to_keep=1,
                            **{self._cache_argument: self.cache})
        return output.logits[0, -1].float().cpu()


def model_window(model: Any) -> int:
    """The longest sequence the model was built for (positions it has embeddings or RoPE range for)."""
    config = model.config
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048
