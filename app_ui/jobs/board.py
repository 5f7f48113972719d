"""JobBoard: one background Job per key in this server process, so sessions that need the same model share
one training; long work waits for a Start click; a cancelled job is replaced by one that waits likewise.

    board = JobBoard("models", max_entries=8)
    job = board.get(key, work, estimate=lambda: original_estimate(exp))   # the key's job, started unless
                                                                           # its estimate is long (job.estimate)
    board.peek(key)                                                        # the key's job, or None (nothing starts)
    board.discard(key)                                                     # the next get starts afresh
    board.drop(job)                                                        # "Try again" / Run on a job that ended
                                                                           # without a result: for every session

A cancelled job is replaced on the next get. A failed one stays, so that every session asking says why in one
line (job.why_not_ok) instead of failing again unasked, until someone presses Try again or Run (drop).

Why not st.cache_resource: it cannot say whether a job exists without creating it, and a cancelled job
must give way to a new one (which cache_resource would need a clear-then-get for, racing with other
sessions doing the same). Here one lock makes "look, replace, create" a single step. Across processes the
engine's training cache holds a file lock, so two servers train a model once too. No Streamlit here.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Hashable

from .background import Job


class JobBoard:
    def __init__(self, name: str, max_entries: int = 8):
        self.name = name
        self.max_entries = max_entries          # finished jobs beyond it are forgotten, oldest first
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, work: Callable[[Job], Any], estimate: Callable[[], Any] | None = None) -> Job:
        """The key's job. A new one starts at once unless `estimate()` says it is long (Estimate.long): then
        it waits for job.start() (the page's Start button). A cancelled job is replaced by a new one, which
        waits for Start whatever its estimate when a user cancelled the old one (a Cancel is never undone
        by the next rerun), and starts at once when the old one was cancelled for having nobody waiting."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not (job.done and job.cancelled):
                return job
            was_cancelled = job.cancelled if job is not None else None
            by_user = job is not None and job.cancelled_by_user
        est = estimate() if estimate is not None else None     # outside the lock: it may load data (seconds)
        with self._lock:
            current = self._jobs.get(key)
            if current is not None and current is not job:      # another session got there first
                return current
            new = Job(self.name, work)
            new.estimate, new.previous_cancel = est, was_cancelled if by_user else None
            self._jobs.pop(key, None)
            self._jobs[key] = new
            self._forget_old()
        if not by_user and not (est is not None and est.long):
            new.start()
        return new

    def peek(self, key: Hashable) -> Job | None:
        """The key's job if there is one; never creates or starts one."""
        with self._lock:
            return self._jobs.get(key)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            job = self._jobs.pop(key, None)
        if job is not None and not job.done:
            job.cancel("discarded")

    def drop(self, job: Job) -> bool:
        """Forget `job` if it ended without a result (failed or cancelled) and is still its key's job: the next
        get, from any session, starts afresh. A running or successful job stays. True if it was dropped."""
        if not job.done or job.ok:
            return False
        with self._lock:
            for key, held in list(self._jobs.items()):
                if held is job:
                    del self._jobs[key]
                    return True
        return False

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.done]
        for key in finished[:max(0, len(self._jobs) - self.max_entries)]:
            del self._jobs[key]
