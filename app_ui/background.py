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

When the process exits (the server stops, a test session ends), running jobs are cancelled: their next
progress report or phase change raises JobCancelled, which unwinds the engine before it writes any
cache file, and the exit waits for them (up to EXIT_WAIT_S). A thread still inside torch or numba when
the interpreter tears down aborts the whole process ("terminate called without an active exception").
"""
from __future__ import annotations

import atexit
import threading
import time
import traceback
from typing import Any, Callable

from unlearn_core import UserInputError

EXIT_WAIT_S = 60.0       # an UMAP fit cannot be interrupted; it takes seconds, the first one tens of seconds


class JobCancelled(Exception):
    """Raised inside a job's work (from its progress callback) when the process is exiting."""


_running: set["Job"] = set()
_running_lock = threading.Lock()


@atexit.register
def _cancel_running_jobs() -> None:
    with _running_lock:
        jobs = list(_running)
    for job in jobs:
        job.cancel()
    deadline = time.monotonic() + EXIT_WAIT_S
    for job in jobs:
        job.wait(max(0.0, deadline - time.monotonic()))


class Job:
    def __init__(self, name: str, work: Callable[["Job"], Any]):
        self.name = name
        self._work = work
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"job:{name}", daemon=True)
        self._finished = threading.Event()
        self.phase = "queued"
        self.phase_started = time.perf_counter()
        self.steps_done = 0
        self.steps_total = 0
        self.result: Any = None
        self.error: str | None = None          # a user-facing one-line message (bad input)
        self.failure: str | None = None        # an unexpected exception's traceback
        self.started_at: float | None = None
        self.seconds: float | None = None      # wall time of the whole job
        self._cancelled = threading.Event()

    def start(self) -> "Job":
        with self._lock:
            if self.started_at is None:
                self.started_at = time.perf_counter()
                with _running_lock:
                    _running.add(self)
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

    def cancel(self) -> None:
        self._cancelled.set()

    def set_phase(self, text: str) -> None:
        self._check_cancelled()
        self.phase = text
        self.phase_started = time.perf_counter()
        self.steps_done = self.steps_total = 0

    def phase_seconds(self) -> float:
        """How long the current phase has run: what the page shows when the phase has no fraction."""
        return time.perf_counter() - self.phase_started

    def progress(self, done: int, total: int) -> None:
        """The engine's progress callback (training steps)."""
        self._check_cancelled()
        self.steps_done, self.steps_total = done, total

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise JobCancelled(f"job {self.name!r} cancelled: the process is exiting")

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
            with _running_lock:
                _running.discard(self)
            self._finished.set()
