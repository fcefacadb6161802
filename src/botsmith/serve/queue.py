"""One generation thread behind a bounded queue.

torch runs one generation at a time fastest on a CPU (it already uses every core),
so requests wait in a queue of fixed size and a single worker thread serves them in
order. A full queue is refused at once (HTTP 429) instead of piling up work the
server can never finish. Each job streams its text back to the event loop that
asked for it; a job whose client went away is skipped or stopped at the next token.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botsmith.chat.generate import GenerationStream

# A job's work: given a cancel check, the streams of its choices (one per sample).
Work = Callable[[Callable[[], bool]], Iterable[GenerationStream]]


class QueueFull(Exception):
    pass


@dataclass
class Event:
    kind: str  # "piece" | "done" (one per choice, with stats) | "error" | "end"
    index: int = 0
    text: str = ""
    stats: Any = None
    error: BaseException | None = None


@dataclass
class Job:
    work: Work
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue = field(default_factory=asyncio.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()

    def emit(self, event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening any more
            self.loop.call_soon_threadsafe(self.events.put_nowait, event)


class GenerationQueue:
    def __init__(self, size: int) -> None:
        self.size = size
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=size)
        self._thread: threading.Thread | None = None
        self.busy = False
        self.finished: Counter[str] = Counter()  # choices by finish reason, for /health

    @property
    def waiting(self) -> int:
        return self._jobs.qsize()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="botsmith-generation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        with contextlib.suppress(queue.Empty):
            while True:  # cancel everything still waiting, then wake the worker to exit
                job = self._jobs.get_nowait()
                if job is not None:
                    job.cancel()
        self._jobs.put(None)
        self._thread.join(timeout=30)
        self._thread = None

    def submit(self, work: Work) -> Job:
        job = Job(work, asyncio.get_running_loop())
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            raise QueueFull from None
        return job

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            if job.cancelled.is_set():
                continue
            self.busy = True
            try:
                self._run(job)
            finally:
                self.busy = False

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
