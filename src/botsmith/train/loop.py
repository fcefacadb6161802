"""The one training loop: full, LoRA and QLoRA all run through it unchanged.

Each optimizer step: the step's micro-batches (a pure function of seed and step, so a
resumed run sees the same data), forward + loss + backward per micro-batch with the
loss normalised by the step's total target tokens, gradients summed across processes,
clip, AdamW, write back. Then logging, evaluation, checkpoints, samples and early
stopping at their intervals.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import torch

from botsmith.config.train import TrainSection
from botsmith.train.checkpoint import LoopState, rng_tensors
from botsmith.train.distributed import World, any_rank, sum_floats, sum_gradients
from botsmith.train.packing import MicroBatch, Row, collate, epoch_batches
from botsmith.train.progress import format_stats
from botsmith.train.schedule import learning_rate, warmup_steps


@dataclass
class Plan:
    """Which micro-batches make up each optimizer step, on every process."""

    rows: list[Row]
    batch_size: int
    grad_accum: int
    world_size: int
    seed: int
    group_by_length: bool
    max_steps: int = 0
    epochs: float = 1.0
    min_steps: int = 0  # with epochs: the fewest steps (min_steps_for)
    _epochs: dict[int, list[MicroBatch]] = field(default_factory=dict)

    @cached_property
    def batches_per_epoch(self) -> int:
        return len(self.epoch(0))

    @property
    def per_step(self) -> int:
        return self.grad_accum * self.world_size

    @cached_property
    def total_steps(self) -> int:
        if self.max_steps:
            return self.max_steps
        return max(self.min_steps, self.steps_of_epochs)

    @cached_property
    def steps_of_epochs(self) -> int:
        """The steps `epochs` passes take (min_steps may make a run longer)."""
        return max(1, round(self.epochs * self.batches_per_epoch / self.per_step))

    def epoch(self, number: int) -> list[MicroBatch]:
        if number not in self._epochs:
            self._epochs = {number: epoch_batches(self.rows, self.batch_size, seed=self.seed, epoch=number,
                                                  group_by_length=self.group_by_length)}
        return self._epochs[number]

    def step_batches(self, step: int) -> list[MicroBatch]:
        first = step * self.per_step
        return [self.epoch(index // self.batches_per_epoch)[index % self.batches_per_epoch]
                for index in range(first, first + self.per_step)]


def min_steps_for(config: Any) -> int:
    """The fewest optimizer steps of a run by epochs: `[train] min_steps` for character and chat bots, none for story
    bots. One epoch of a small book is a dozen steps, too few for LoRA to learn the character's name from its
    identity examples (docs/train.md); a story bot has no name to learn, and more passes make it repeat itself."""
    return 0 if config.bot.mode == "completion" else config.train.min_steps


class StopRequest:
    """Set by the SIGINT/SIGTERM handler; the loop stops at the next step boundary, where the state is whole."""

    def __init__(self) -> None:
        self.requested = False
        self.signal = signal.SIGINT  # which one asked


@dataclass
class Hooks:
    """What the loop asks the run to do at its intervals (see api.py)."""

    evaluate: Callable[[], float | None]
    save_best: Callable[[LoopState], None]
    save_last: Callable[[LoopState], None]
    sample: Callable[[int], None]
    note: Callable[[str], None]
    metric: Callable[[dict], None]
    progress: Callable[[int, str], None]


class Interrupted(Exception):
    def __init__(self, step: int) -> None:
        super().__init__(step)
        self.step = step


class Loop:
    def __init__(self, *, model: Any, optimizer: Any, loss: Any, plan: Plan, train: TrainSection, device: str,
                 world: World, pad_id: int, hooks: Hooks, stop: StopRequest) -> None:
        self.model, self.optimizer, self.loss, self.plan = model, optimizer, loss, plan
        self.train, self.device, self.world, self.pad_id = train, device, world, pad_id
        self.hooks, self.stop = hooks, stop
        self.total = plan.total_steps
        self.warmup = warmup_steps(train, self.total)
        self.step_seconds: float | None = None
        self.last_val: float | None = None

    def run(self, state: LoopState) -> LoopState:
        self.model.train()
        self.last_val = state.best_val_loss
        if state.step == 0:
            self.evaluate_base(state)
        else:
            self.evaluate_resumed(state)
        while state.step < self.total:
            started = time.perf_counter()
            loss, tokens, lr, norm = self.train_step(state.step)
            state.step += 1
            state.tokens_seen += tokens
            seconds = time.perf_counter() - started
            state.elapsed_seconds += seconds
            self.report(state, loss, tokens, lr, norm, seconds)
            if any_rank(self.stop.requested, self.world):
                self.hooks.save_last(state)
                raise Interrupted(state.step)
            if self.at_intervals(state):
                break
        return state

    def train_step(self, step: int) -> tuple[float, int, float, float]:
        batches = self.plan.step_batches(step)
        targets = max(1, sum(batch.targets for batch in batches))
        loss_sum = 0.0
        for batch in batches[self.world.rank::self.world.size]:
            tensors = {key: value.to(self.device) for key, value in collate(batch, self.pad_id).items()}
            loss = self.loss(tensors)
            self.optimizer.backward(loss / targets)
            loss_sum += float(loss.detach())
        sum_gradients([p for _, p in self.optimizer.named], self.world)
        lr = learning_rate(step, peak=self.train.learning_rate, warmup=self.warmup, total=self.total,
                           schedule=self.train.schedule)
        norm = self.optimizer.step(lr)
        loss_sum = sum_floats([loss_sum], self.world)[0]
        return loss_sum / targets, sum(batch.tokens for batch in batches), lr, norm

    def report(self, state: LoopState, loss: float, tokens: int, lr: float, norm: float, seconds: float) -> None:
        self.step_seconds = seconds if self.step_seconds is None else 0.8 * self.step_seconds + 0.2 * seconds
        tokens_per_s = tokens / seconds
        self.hooks.metric({"step": state.step, "loss": round(loss, 5), "lr": lr, "grad_norm": round(norm, 4),
                           "tokens_per_s": round(tokens_per_s, 1), "tokens": state.tokens_seen,
                           "elapsed": round(state.elapsed_seconds, 2)})
        eta = (self.total - state.step) * self.step_seconds
        self.hooks.progress(state.step, format_stats(loss, self.last_val, tokens / self.step_seconds, lr, eta))

    def at_intervals(self, state: LoopState) -> bool:
        """Evaluate, checkpoint and sample when due; True when early stopping ends the run."""
        step, train = state.step, self.train
        evaluate = step % train.eval_every == 0 or step == self.total
        stop_early = False
        if evaluate:
            stop_early = self.evaluate(state)
        if (train.sample_every and step % train.sample_every == 0) or (not train.sample_every and evaluate):
            self.hooks.sample(step)
        if evaluate and not train.save_every or train.save_every and step % train.save_every == 0:
            if step < self.total and not stop_early:
                self.hooks.save_last(state)
        return stop_early

    def evaluate_base(self, state: LoopState) -> None:
        """The validation loss before any step: the base model's (a fresh LoRA adapter adds nothing)."""
        val_loss = self.hooks.evaluate()
        if val_loss is None:
            return
        self.last_val = state.base_val_loss = val_loss
        self.hooks.metric({"step": 0, "val_loss": round(val_loss, 5)})
        self.hooks.note(f"step 0/{self.total}: validation loss {val_loss:.4f} (the base model, before training)")

    def evaluate_resumed(self, state: LoopState) -> None:
        """Where a resumed run stands. It also makes the first forward pass an evaluation, as in the
        uninterrupted run, which a resumed run needs to end with bit-identical weights (test_resume)."""
        val_loss = self.hooks.evaluate()
        if val_loss is not None:
            self.last_val = val_loss
            self.hooks.note(f"step {state.step}/{self.total}: validation loss {val_loss:.4f} (resumed here)")

    def evaluate(self, state: LoopState) -> bool:
        val_loss = self.hooks.evaluate()
        if val_loss is None:
            return False
        self.last_val = state.last_val_loss = val_loss
        improved = state.best_val_loss is None or val_loss < state.best_val_loss
        self.hooks.metric({"step": state.step, "val_loss": round(val_loss, 5)})
        if improved:
            state.best_val_loss, state.best_step, state.evals_without_improvement = val_loss, state.step, 0
            self.hooks.save_best(state)
        else:
            state.evals_without_improvement += 1
        self.hooks.note(f"step {state.step}/{self.total}: validation loss {val_loss:.4f}"
                        + (" (best)" if improved else f" (best {state.best_val_loss:.4f} at step {state.best_step})"))
        patience = self.train.patience
        if patience and state.evals_without_improvement >= patience:
            self.hooks.note(f"early stopping: no better validation loss in {patience} evaluations")
            return True
        return False


def evaluate_loss(model: Any, loss: Any, batches: list[MicroBatch], *, device: str, world: World, pad_id: int) -> float | None:
    """Mean validation loss per target token, over every process's share of the batches."""
    if not batches:
        return None
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        for batch in batches[world.rank::world.size]:
            tensors = {key: value.to(device) for key, value in collate(batch, pad_id).items()}
            total += float(loss(tensors))
            count += batch.targets
    model.train(was_training)
    total, count = sum_floats([total, float(count)], world)
    return total / max(1.0, count)


def state_tensors(optimizer: Any) -> dict[str, torch.Tensor]:
    return {**optimizer.state_tensors(), **rng_tensors()}
