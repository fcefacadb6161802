"""One generation thread behind a bounded queue.

torch runs one generation at a time fastest on a CPU (it already uses every core),
so requests wait in a queue of fixed size and a single worker thread serves them in
order. A full queue is refused at once (HTTP 429) instead of piling up work the
server can never finish. Each job streams its text back to the event loop that
asked for it. A cancelled job (its client went away, or the server is stopping)
leaves the queue at once, so its slot is free for the next request, or stops at
the next token when it is the one running.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botsmith.chat.generate import GenerationStream

# A job's work: given a cancel check, the streams of its choices (one per sample).
Work = Callable[[Callable[[], bool]], Iterable[GenerationStream]]


SHUTDOWN = "server stopping"


class QueueFull(Exception):
    pass


@dataclass
class Event:
    kind: str  # "piece" | "done" (one per choice, with stats) | "error" | "end" | "cancelled" (text: why)
    index: int = 0
    text: str = ""
    stats: Any = None
    error: BaseException | None = None


@dataclass
class Job:
    work: Work
    loop: asyncio.AbstractEventLoop
    on_cancel: Callable[["Job"], None] = lambda job: None
    events: asyncio.Queue = field(default_factory=asyncio.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self, why: str = "client gone") -> None:
        """Stop this job (from any thread); whoever awaits its events gets a "cancelled" event saying why."""
        if self.cancelled.is_set():
            return
        self.cancelled.set()
        self.on_cancel(self)
        self.emit(Event("cancelled", text=why))

    def emit(self, event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening any more
            self.loop.call_soon_threadsafe(self.events.put_nowait, event)


class GenerationQueue:
    def __init__(self, size: int) -> None:
        self.size = size
        self._waiting: deque[Job] = deque()
        self._changed = threading.Condition()
        self._running: Job | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.finished: Counter[str] = Counter()  # choices by finish reason, for /health

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def busy(self) -> bool:
        return self._running is not None

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="botsmith-generation", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Cancel the waiting jobs and the running one, and take no more (the server is stopping)."""
        with self._changed:
            self._stopping = True
            jobs = [*self._waiting, *([self._running] if self._running else [])]
            self._changed.notify_all()
        for job in jobs:
            job.cancel(SHUTDOWN)

    def stop(self) -> None:
        """close(), then wait for the worker to exit."""
        if self._thread is None:
            return
        self.close()
        self._thread.join(timeout=30)
        self._thread = None

    def submit(self, work: Work) -> Job:
        job = Job(work, asyncio.get_running_loop(), on_cancel=self._forget)
        with self._changed:
            if self._stopping or len(self._waiting) >= self.size:
                raise QueueFull
            self._waiting.append(job)
            self._changed.notify()
        return job

    def _forget(self, job: Job) -> None:
        with self._changed, contextlib.suppress(ValueError):
            self._waiting.remove(job)

    def _work(self) -> None:
        while (job := self._next()) is not None:
            try:
                self._run(job)
            finally:
                with self._changed:
                    self._running = None

    def _next(self) -> Job | None:
        with self._changed:
            while not self._waiting and not self._stopping:
                self._changed.wait()
            if self._stopping:
                return None
            self._running = self._waiting.popleft()
            return self._running

    def _run(self, job: Job) -> None:
        try:
            for index, stream in enumerate(job.work(job.cancelled.is_set)):
                for piece in stream:
                    job.emit(Event("piece", index, text=piece))
                if job.cancelled.is_set():
                    stream.close()
                    self.finished["cancelled"] += 1
                    return
                self.finished[stream.stats.finish_reason or "stop"] += 1
                job.emit(Event("done", index, stats=stream.stats))
            job.emit(Event("end"))
        except Exception as error:  # reported to the client; the worker keeps serving
            job.emit(Event("error", error=error))
