"""Job: one function run once in a daemon thread, with progress that a page polls.

    job = Job("prepare", lambda job: expensive(progress=job.progress))
    job.start()
    job.phase, job.fraction()       # what it is doing, 0..1 (None when it cannot say)
    job.done, job.error, job.result

Work runs outside the session's script thread, so a page stays responsive while a model trains,
several sessions share one job (the resources module caches jobs with st.cache_resource), and closing
a tab does not abort training half-way: the engine writes its caches atomically when a job finishes.
A UserInputError becomes `error` (one line for st.error); any other exception is kept with its
traceback (`failure`) for the page to show as an internal error.
"""
from __future__ import annotations

import threading
import time
import traceback
from typing import Any, Callable

from unlearn_core import UserInputError


class Job:
    def __init__(self, name: str, work: Callable[["Job"], Any]):
        self.name = name
        self._work = work
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"job:{name}", daemon=True)
        self._finished = threading.Event()
        self.phase = "queued"
        self.steps_done = 0
        self.steps_total = 0
        self.result: Any = None
        self.error: str | None = None          # a user-facing one-line message (bad input)
        self.failure: str | None = None        # an unexpected exception's traceback
        self.started_at: float | None = None
        self.seconds: float | None = None      # wall time of the whole job

    def start(self) -> "Job":
        with self._lock:
            if self.started_at is None:
                self.started_at = time.perf_counter()
                self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def ok(self) -> bool:
        return self.done and self.error is None and self.failure is None

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def set_phase(self, text: str) -> None:
        self.phase = text
        self.steps_done = self.steps_total = 0

    def progress(self, done: int, total: int) -> None:
        """The engine's progress callback (training steps)."""
        self.steps_done, self.steps_total = done, total

    def fraction(self) -> float | None:
        return self.steps_done / self.steps_total if self.steps_total else None

    def _run(self) -> None:
        try:
            self.result = self._work(self)
            self.phase = "done"
        except UserInputError as err:
            self.error = str(err)
            self.phase = "failed"
        except Exception:  # shown in the page as an internal error, with the traceback for a bug report
            self.failure = traceback.format_exc()
            self.phase = "failed"
        finally:
            self.seconds = time.perf_counter() - (self.started_at or time.perf_counter())
            self._finished.set()
