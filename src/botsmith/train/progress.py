"""What the user sees: a live progress bar on a terminal, plain lines elsewhere, all of it in train.log."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable


class Progress:
    """Step, loss, validation loss, tokens/s and ETA; messages go to `log` and train.log."""

    def __init__(self, log_file: Path | None, log: Callable[[str], None], *, enabled: bool = True) -> None:
        self.log_file = log_file
        self.log = log
        self.enabled = enabled
        self.bar = None
        self.task = None
        self.total = 0
        self.last_line = 0.0

    def note(self, message: str) -> None:
        if not self.enabled:
            return
        if self.log_file is not None:
            with self.log_file.open("a", encoding="utf-8") as handle:
                handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")
        if self.bar is not None:
            self.bar.console.print(message, markup=False, highlight=False)
        else:
            self.log(message)

    def start(self, total: int, done: int) -> None:
        self.total = total
        if not self.enabled or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn

        self.bar = Bar(TextColumn("train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
                       console=Console(stderr=True), transient=False)
        self.bar.start()
        self.task = self.bar.add_task("train", total=total, completed=done, stats="")

    def update(self, step: int, stats: str) -> None:
        """After each optimizer step; without a terminal, a line every ~5% of the run or 30 s."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(self.task, completed=step, stats=stats)
            return
        every = max(1, self.total // 20)
        now = time.monotonic()
        if step % every == 0 or step == self.total or now - self.last_line > 30:
            self.last_line = now
            self.note(f"step {step}/{self.total} {stats}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def format_stats(loss: float, val_loss: float | None, tokens_per_s: float, lr: float, eta_seconds: float) -> str:
    val = f" | val {val_loss:.4f}" if val_loss is not None else ""
    return f"loss {loss:.4f}{val} | {tokens_per_s:,.0f} tok/s | lr {lr:.2e} | ETA {format_duration(eta_seconds)}"


def format_duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"
