"""`train(bot_dir)`: set up a run (or pick up an interrupted one), run the loop, write what it made."""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from botsmith.bot_folder import open_bot
from botsmith.config import BotConfig
from botsmith.errors import BotsmithError
from botsmith.train.checkpoint import LoopState, load_training_state, restore_rng, save_checkpoint
from botsmith.train.distributed import World, broadcast, init_world, shutdown, wait_for_all, weights_agree
from botsmith.train.loop import Hooks, Interrupted, Loop, StopRequest, evaluate_loss, state_tensors
from botsmith.train.metrics import Metrics, read_metrics
from botsmith.train.plot import plot_losses
from botsmith.train.process_state import run_process_state
from botsmith.train.progress import Progress, format_duration
from botsmith.train.rundir import RunFolder, create_run, find_resumable
from botsmith.train.setup import Setup, build_setup, device_kind


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    best_dir: Path
    final_dir: Path
    best_val_loss: float | None
    steps: int


class TrainingInterrupted(BotsmithError):
    exit_code = 130  # 128 + SIGINT; 143 after SIGTERM


def _interrupted(step: int, signum: int) -> TrainingInterrupted:
    by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    error = TrainingInterrupted(f"interrupted{by} at step {step}; resume with botsmith train --resume")
    error.exit_code = 128 + signum
    return error


def train(bot_dir: str | Path, config: BotConfig | None = None, *, resume: bool = False,
          log: Callable[[str], None] = print) -> RunResult:
    """Fine-tune the bot's base model on its dataset; returns where the checkpoints are."""
    folder = open_bot(bot_dir)
    resumed = find_resumable(folder.runs_dir) if resume else None
    if resumed is not None:
        config = resumed.config()
    config = config or folder.config()
    device = device_kind(config.train.device)
    world = init_world(device)
    try:
        with run_process_state(config.train, cpu=device == "cpu") as notes:
            return _train(folder, config, resumed, world, log, notes)
    finally:
        shutdown(world)


def log_estimate(folder, config: BotConfig, log) -> None:
    """The time and memory the run will need here, with a warning when it will not fit (it never refuses)."""
    from botsmith.train.estimate import estimate_for_bot

    try:
        estimate = estimate_for_bot(folder, config, log=log)
    except BotsmithError:
        raise
    except Exception as error:  # an estimate must never stop a run: any model the loader takes may come here
        log(f"estimate: not available for this base ({type(error).__name__}: {str(error)[:120]})")
        return
    for line in estimate.lines() if estimate else []:
        log(line)


def _train(folder, config: BotConfig, resumed: RunFolder | None, world: World, log, notes: list[str]) -> RunResult:
    if world.is_main and resumed is None:
        log_estimate(folder, config, log)
    setup = build_setup(folder, config, world, log if world.is_main else (lambda _line: None))
    run = resumed or (create_run(folder.runs_dir, config, setup.fingerprint) if world.is_main else None)
    run = broadcast(run, world)
    if resumed is not None:
        resumed.check_dataset(setup.fingerprint)
    progress = Progress(run.path / "train.log", log, enabled=world.is_main)
    metrics = Metrics(run.path, config.train.log_to, config.model_dump()) if world.is_main else None
    state = _initial_state(run, setup, metrics, progress) if resumed else LoopState()
    for line in setup.report + notes:
        progress.note(line)
    stop = StopRequest()
    loop = Loop(model=setup.model, optimizer=setup.optimizer, loss=setup.loss, plan=setup.plan, train=config.train,
                device=setup.device, world=world, pad_id=setup.pad_id, hooks=_hooks(setup, run, metrics, progress),
                stop=stop)
    progress.start(loop.total, state.step)
    try:
        with _stop_signals(stop):
            state = loop.run(state)
    except Interrupted as interrupted:
        progress.close()
        _mark(run, world, "interrupted", state)
        raise _interrupted(interrupted.step, stop.signal) from None
    except BaseException as error:
        progress.close()
        _mark(run, world, "failed", state)
        _raise_friendly(error, config)
        raise
    progress.close()
    return _finish(setup, run, state, world, metrics, progress)


def _initial_state(run: RunFolder, setup: Setup, metrics: Metrics | None, progress: Progress) -> LoopState:
    state, tensors = load_training_state(run.path / "last")
    try:
        setup.optimizer.load_state_tensors(tensors)
    except (KeyError, RuntimeError) as error:
        raise BotsmithError(f"{run.path / 'last'} does not match this model ({str(error)[:120]})",
                            hint="start a new run with: botsmith train") from None
    restore_rng(tensors)
    if metrics is not None:
        metrics.truncate_after(state.step)
    progress.note(f"resuming {run.path.name} at step {state.step}")
    return state


def _hooks(setup: Setup, run: RunFolder, metrics: Metrics | None, progress: Progress) -> Hooks:
    main = metrics is not None

    def checkpoint(name: str, state: LoopState, with_state: bool) -> None:
        info = setup.checkpoint_info(step=state.step, val_loss=state.best_val_loss if name == "best" else None)
        training_state = (state, state_tensors(setup.optimizer)) if with_state else None
        if main:
            save_checkpoint(run.path / name, setup.model, setup.tokenizer, info, training_state)

    def sample(step: int) -> None:
        if main:
            for prompt, text in setup.samples():
                metrics.sample(step, prompt, text)
                progress.note(f"sample @ {step}: {prompt!r} -> {text!r}")

    return Hooks(
        evaluate=lambda: evaluate_loss(setup.model, setup.loss, setup.val_batches, device=setup.device,
                                       world=setup.world, pad_id=setup.pad_id),
        save_best=lambda state: checkpoint("best", state, False),
        save_last=lambda state: checkpoint("last", state, True),
        sample=sample, note=progress.note,
        metric=(lambda row: metrics.write(row)) if main else (lambda row: None),
        progress=progress.update,
    )


def _finish(setup: Setup, run: RunFolder, state: LoopState, world: World, metrics, progress) -> RunResult:
    best, final = run.path / "best", run.path / "final"
    if world.active:
        if not weights_agree([p for _, p in setup.optimizer.named], world):
            raise BotsmithError("the training processes ended with different weights", hint="please report this")
        progress.note(f"{world.size} processes agree on the final weights")
    if world.is_main:
        save_checkpoint(final, setup.model, setup.tokenizer,
                        setup.checkpoint_info(step=state.step, val_loss=state.last_val_loss))
        if state.best_val_loss is None:  # no validation set: the final weights are the best we know
            save_checkpoint(best, setup.model, setup.tokenizer, setup.checkpoint_info(step=state.step, val_loss=None))
        metrics.close()
        plot_losses(read_metrics(run.path), run.path / "loss.png", title=run.path.name)
        run.write_summary("finished", state)
        progress.note(f"done: {state.step} steps in {format_duration(state.elapsed_seconds)}, best validation loss "
                      + (f"{state.best_val_loss:.4f} (step {state.best_step})" if state.best_val_loss is not None else "n/a")
                      + f"; checkpoints in {run.path}")
        if setup.config.train.eval_at_end and setup.val_batches:
            _quick_eval(run.path, best, progress)
    wait_for_all(world)
    return RunResult(run.path, best, final, state.best_val_loss, state.step)


def _quick_eval(run_dir: Path, best: Path, progress: Progress) -> None:
    """A few probes through botsmith eval, so every run ends with a verdict (runs/<id>/eval/)."""
    from botsmith.eval.api import QUICK_PROBES, evaluate

    progress.note("evaluating the best checkpoint against the base model (off: --no-eval)...")
    try:
        report = evaluate(run_dir.parent.parent, checkpoint=str(best), probes=QUICK_PROBES, greedy=False, quick=True,
                          log=lambda line: None)
    except BotsmithError as error:  # the run itself is done and saved: a failed verdict must not fail it
        progress.note(f"eval skipped: {error}")
        return
    from botsmith.eval.summary import advice

    progress.note(f"eval: {report.summary_line} (report: {report.path / 'report.html'}; full: botsmith eval)")
    for tip in advice(report.data, str(run_dir.parent.parent)):
        progress.note(f"next: {tip}")


def _mark(run: RunFolder, world: World, status: str, state: LoopState) -> None:
    if world.is_main:
        run.write_summary(status, state)


def _raise_friendly(error: BaseException, config: BotConfig) -> None:
    """Out-of-memory becomes advice; anything else keeps its traceback."""
    message = str(error)
    if isinstance(error, MemoryError) or "out of memory" in message or "can't allocate memory" in message:
        train = config.train
        raise BotsmithError(
            f"out of memory at batch_size={train.batch_size}, max_length={train.max_length} ({train.method})",
            hint="lower [train] batch_size (raise grad_accum to keep the effective batch), lower max_length, "
                 "or set gradient_checkpointing = true",
        ) from None


@contextlib.contextmanager
def _stop_signals(stop: StopRequest):
    """First Ctrl-C (SIGINT) or SIGTERM (a scheduler, `kill`, `docker stop`): finish the step, save last/,
    stop. A second one stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested, stop.signal = True, signum

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)
