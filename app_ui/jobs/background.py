"""Job: one function run once in a daemon thread, with progress that a page polls.

    job = Job("prepare", lambda job: expensive(progress=job.progress))
    job.start()
    job.phase, job.fraction()       # what it is doing, 0..1 (None when it cannot say)
    job.seconds_left()              # from the progress so far (None when it cannot say)
    job.done, job.error, job.result
    job.cancel("you pressed Cancel")   # the work stops at its next progress report; job.cancelled says why
    job.wait_for(other)             # inside the work: wait for another job, or end at once if cancelled
    hold = job.hold()               # a session's interest: when the last Hold is released (or garbage
                                    # collected with its session's state), a running job is cancelled

Work runs outside the session's script thread, so a page stays responsive while a model trains, and
several sessions share one job (app_ui.jobs.board keeps one job per key). A job stops only between
steps: the engine writes its caches atomically when a training finishes, never half a file.
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
import weakref
from typing import Any, Callable

from unlearn_core import UserInputError

EXIT_WAIT_S = 60.0       # an UMAP fit cannot be interrupted; it takes seconds, the first one tens of seconds


class JobCancelled(Exception):
    """Raised inside a job's work (from its progress callback or a phase change) once the job is cancelled:
    Cancel pressed, nobody waiting for it any more, or the process exiting. The engine's training writes
    its cache file only after its last step, so an exception from its progress callback leaves no file."""


_running: set["Job"] = set()
_running_lock = threading.Lock()


@atexit.register
def _cancel_running_jobs() -> None:
    with _running_lock:
        jobs = list(_running)
    for job in jobs:
        job.cancel("the process is exiting")
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
        self.cancelled: str | None = None      # why it was cancelled, once its work has stopped
        self.estimate = None                   # cost_estimate.Estimate, when one was made before starting
        self.previous_cancel: str | None = None   # why the job this one replaces was cancelled
        self._cancelled = threading.Event()
        self._cancel_reason = ""
        self.cancelled_by_user = False
        self._holds = 0
        self._first_progress: tuple[float, int] | None = None    # (time, steps) of the phase's first report

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
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def ok(self) -> bool:
        return self.done and self.error is None and self.failure is None and self.cancelled is None

    @property
    def why_not_ok(self) -> str | None:
        """Why a finished job has no result, in one line (None while running or when ok): the user's error,
        "cancelled: ..." or the bug's last traceback line."""
        if not self.done or self.ok:
            return None
        if self.error is not None:
            return self.error
        if self.cancelled is not None:
            return f"cancelled: {self.cancelled}"
        lines = (self.failure or "").strip().splitlines()
        return lines[-1] if lines else "failed"

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    @property
    def cancel_requested(self) -> bool:
        """Someone asked it to stop (work that polls instead of reporting progress reads this)."""
        return self._cancelled.is_set()

    def cancel(self, reason: str, by_user: bool = False) -> None:
        """by_user: someone chose to stop it (Cancel), so a job replacing it waits for Start (JobBoard)."""
        with self._lock:
            if not self._cancelled.is_set():
                self._cancel_reason, self.cancelled_by_user = reason, by_user
                self._cancelled.set()

    def hold(self) -> "Hold":
        return Hold(self)

    def _held(self, change: int) -> None:
        with self._lock:
            self._holds += change
            orphaned = change < 0 and self._holds == 0
        if orphaned and self.started and not self.done:
            self.cancel("nobody was waiting for it any more")

    def set_phase(self, text: str) -> None:
        self.check_cancelled()
        self.phase = text
        self.phase_started = time.perf_counter()
        self.steps_done = self.steps_total = 0
        self._first_progress = None

    def phase_seconds(self) -> float:
        """How long the current phase has run: what the page shows when the phase has no fraction."""
        return time.perf_counter() - self.phase_started

    def progress(self, done: int, total: int) -> None:
        """The engine's progress callback (training steps)."""
        self.check_cancelled()
        if self._first_progress is None:      # timed from the first report: the phase's set-up is not a step
            self._first_progress = (time.perf_counter(), done)
        self.steps_done, self.steps_total = done, total

    def check_cancelled(self) -> None:
        """Raise JobCancelled once the job is cancelled (its progress and phase changes call this; work that
        stops by other means, such as a sweep's stop test, calls it to end as cancelled)."""
        if self._cancelled.is_set():
            raise JobCancelled(self._cancel_reason)

    def sleep(self, seconds: float) -> None:
        """Inside this job's work: wait `seconds`, ending at once (JobCancelled) if the job is cancelled meanwhile."""
        self._cancelled.wait(seconds)
        self.check_cancelled()

    def wait_for(self, other: "Job", poll: float = 0.1) -> None:
        """Inside this job's work: wait until `other` is done, ending at once (JobCancelled) if this job is
        cancelled meanwhile, so that a Cancel pressed while it waits (Compare waiting for the retrain
        reference) is not held up by the other job."""
        while not other.wait(poll):
            self.check_cancelled()
        self.check_cancelled()

    def fraction(self) -> float | None:
        return self.steps_done / self.steps_total if self.steps_total else None

    def seconds_left(self) -> float | None:
        """The phase's time left at the rate of its steps so far (None before two reports)."""
        first = self._first_progress
        if first is None or self.steps_done <= first[1] or not self.steps_total:
            return None
        rate = (self.steps_done - first[1]) / (time.perf_counter() - first[0])
        return (self.steps_total - self.steps_done) / rate

    def _run(self) -> None:
        try:
            self.result = self._work(self)
            self.phase = "done"
        except JobCancelled as err:
            self.cancelled = str(err) or "cancelled"
            self.phase = "cancelled"
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


class Hold:
    """One session's interest in a job (kept in its session state). Release it, or let it be garbage collected
    with the session's state when the session ends: a running job nobody holds any more is cancelled. Counted,
    not timed: no heartbeat whose period a slow machine could miss."""

    def __init__(self, job: Job):
        self.job = job
        job._held(+1)
        # finalize runs once: on release(), or when the Hold is collected (its session state was dropped).
        self._release = weakref.finalize(self, job._held, -1)

    def release(self) -> None:
        self._release()
