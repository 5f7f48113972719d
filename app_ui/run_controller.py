"""RunController: the Unlearn page's controls for one engine run (no Streamlit), driven tick by tick.

    ctl = RunController(lambda: LiveRun(prepared, exp), fps=2.0)    # idle, nothing runs yet; ctl.live: the LiveRun
    ctl.run()                                 # running: every tick() now does `pace.steps_per_tick` steps
    ctl.tick()                                # what st.fragment(run_every=ctl.pace.tick_seconds) calls
    ctl.pause(); ctl.step()                   # paused; exactly one optimiser step
    ctl.seek(3)                               # show map frame 3 (pauses a running run)
    ctl.replay()                              # play the recorded frames again from step 0 at the speed
    ctl.set_speed(Speed.X2); ctl.reset()      # speed; back to step 0 with a fresh run

The states, the commands, the tick and the pace are a Playback's (playback.py says how they work and why a
tick counts optimiser steps). What is the RunController's own: its frames are one LiveRun's map frames (the
cursor is a frame index), its steps are that run's engine steps, and an engine error stops the run with a
one-line reason (`error`) instead of raising into the page. The page draws `shown_index`.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from unlearn_core import Outcome, UserInputError

from .live_run import LiveRun
# Pace and MAX_TICK_HZ moved to playback.py; they are re-exported because tests and callers import them from here.
from .playback import MAX_TICK_HZ, Pace, Playback, Speed, Status  # noqa: F401

log = logging.getLogger(__name__)


class RunController(Playback):
    def __init__(self, new_run: Callable[[], LiveRun], fps: float = 2.0, speed: Speed = Speed.X1,
                 clock: Callable[[], float] = time.perf_counter, wait_for_draw: bool = False):
        super().__init__(fps, speed, clock, wait_for_draw)
        self._new_run = new_run          # a fresh LiveRun (idle, nothing computed): at start and on Reset
        self.live: LiveRun = new_run()
        self.error: str | None = None    # why the run failed (one line), when it did

    # ---- what the page draws ------------------------------------------------------------------------
    @property
    def shown_index(self) -> int | None:
        """The map frame to draw (None before the first frame)."""
        if not self.live.frames:
            return None
        newest = len(self.live.frames) - 1
        if self.cursor is not None:
            return min(self.cursor, newest)
        return self.drawable_index(newest)

    def drawable_index(self, index: int) -> int:
        """The newest frame at or before `index` whose points all have coordinates: a diverging model's
        last probe can hold NaN embeddings, and the map keeps the last frame that can be drawn whole."""
        if not self.diverged:
            return index
        while index > 0 and not np.isfinite(self.live.frame_xy(index)).all():
            index -= 1
        return index

    @property
    def shown_step(self) -> int | None:
        index = self.shown_index
        return None if index is None else self.live.frames[index].step

    @property
    def can_replay(self) -> bool:
        """Replay has something to play: at least two recorded frames."""
        return len(self.live.frames) >= 2

    @property
    def diverged(self) -> bool:
        final = self.live.final
        return final is not None and final.outcome is Outcome.DIVERGED

    # ---- commands (run, pause, step, replay, set_speed: Playback's) ----------------------------------
    def reset(self) -> None:
        """Back to step 0: a fresh run; the old one's generator and model copy are dropped now."""
        self.live.close()
        self.live = self._new_run()
        self.error = None
        self._rewind()

    def seek(self, index: int) -> None:
        """Show map frame `index` (clamped). Dragging the timeline while running pauses the run."""
        if not self.live.frames:
            return
        self._show_at(max(0, min(int(index), len(self.live.frames) - 1)))

    def seek_step(self, step: int) -> None:
        """seek() to the newest frame recorded at or before optimiser step `step`."""
        if self.live.frames:
            self.seek(self.live.frame_index_at(step))

    def close(self) -> None:
        self.live.close()

    # ---- what a tick does ---------------------------------------------------------------------------
    def _first_cursor(self) -> int:
        return 0

    def _replay_forward(self, steps: int) -> int:
        frames, index = self.live.frames, self.shown_index or 0
        newest = len(frames) - 1
        target = max(index + 1, self.live.frame_index_at(frames[index].step + steps))
        self.cursor = min(target, newest)
        if self.cursor >= newest:           # the end: back to following the newest frame
            self.replaying, self.cursor = False, None
            return frames[newest].step - frames[index].step
        return frames[self.cursor].step - frames[index].step

    def _advance(self, steps: int | None, cap: float | None) -> int:
        """Up to `steps` optimiser steps (None: until the cap), stopping early once `cap` seconds have passed
        since the first; an engine error stops the run with a one-line reason instead of raising into the page."""
        start, done = None, 0
        try:
            while self.live.final is None and (steps is None or done < steps):
                # The cap counts from the end of the first step: a tick always does one, and a run's first
                # (which starts the engine: seconds of one-off warm-up) does not shorten its first tick.
                if start is not None and cap is not None and self.clock() - start >= cap:
                    break
                pulled = self.live.advance(max_updates=1)
                done += pulled
                if not pulled:
                    break
                if start is None:
                    start = self.clock()
        except UserInputError as err:
            self._fail(str(err))
        except Exception as err:  # a failing run must not take the page down: stop it and say why
            log.exception("the unlearning run failed")
            self._fail(f"{type(err).__name__}: {err}".strip().splitlines()[0])
        if self.live.final is not None:
            self.status = Status.STOPPED
        return done

    def _fail(self, reason: str) -> None:
        self.error = reason
        self.status, self.replaying = Status.STOPPED, False
        self.live.close()
