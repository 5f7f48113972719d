"""Estimates computed in one background thread, each once per process, so that no page waits while training
steps are timed or FLOPs counted.

    found = ESTIMATES.get(key, compute)     # compute()'s value once computed; else None, and it is queued
    ESTIMATES.pending                       # True while a queued estimate has not been computed
    ESTIMATES.wait_until_done(timeout)      # True once nothing is queued
    ESTIMATES.pause(); ...; ESTIMATES.resume()   # the server's warm-up keeps the CPU meanwhile (nestable)

What preset_cost queues: a preset's first-visit cost, its FLOPs (the torch FLOP counter on the model, about
1.5 s for the first in a process) and this device's training rate (cost_estimate.device_flop_rate: timed steps,
under a second for the small CNN, seconds for a ResNet on a CPU). An estimate that fails is logged and not
tried again (its key's value stays None). Nothing here imports Streamlit.
"""
from __future__ import annotations

import atexit
import logging
import threading
from typing import Any, Callable, Hashable

log = logging.getLogger(__name__)


class BackgroundEstimates:
    def __init__(self):
        self._values: dict[Hashable, Any] = {}
        self._queue: list[tuple[Hashable, Callable[[], Any]]] = []     # waiting, in the order asked
        self._failed: set[Hashable] = set()
        self._paused = 0
        self._stopping = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        atexit.register(self._stop)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._changed:
            if key in self._values:
                return self._values[key]
            if key not in self._failed and all(key != queued for queued, _ in self._queue):
                self._queue.append((key, compute))
                if self._thread is None:
                    self._thread = threading.Thread(target=self._compute_queued, name="estimates", daemon=True)
                    self._thread.start()
                self._changed.notify_all()
        return None

    @property
    def pending(self) -> bool:
        with self._changed:
            return bool(self._queue)

    def wait_until_done(self, timeout: float | None = None) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._queue, timeout)

    def pause(self) -> None:
        with self._changed:
            self._paused += 1

    def resume(self) -> None:
        with self._changed:
            self._paused = max(0, self._paused - 1)
            self._changed.notify_all()

    def _stop(self) -> None:
        """At exit: no new estimate, and the one running finishes first (a thread still inside torch when the
        interpreter tears down aborts the process: "terminate called without an active exception")."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _compute_queued(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopping or (self._queue and not self._paused))
                if self._stopping:
                    return
                key, compute = self._queue[0]
            try:
                value = compute()
            except Exception:  # noqa: BLE001 - an estimate is advice: without it the page says less
                log.warning("could not estimate %s", key, exc_info=True)
                value = None
            with self._changed:
                if value is None:
                    self._failed.add(key)
                else:
                    self._values[key] = value
                self._queue.pop(0)
                self._changed.notify_all()


ESTIMATES = BackgroundEstimates()
