"""RunController: the Unlearn page's controls as a plain state machine (no Streamlit), driven tick by tick.

    ctl = RunController(lambda: LiveRun(prepared, exp), fps=2.0)    # idle, nothing runs yet; ctl.live: the LiveRun
    ctl.run()                                 # running: every tick() now does `pace.steps_per_tick` steps
    ctl.tick()                                # what st.fragment(run_every=ctl.pace.tick_seconds) calls
    ctl.pause(); ctl.step()                   # paused; exactly one optimiser step
    ctl.seek(3)                               # show map frame 3 (pauses a running run)
    ctl.replay()                              # play the recorded frames again from step 0 at the speed
    ctl.set_speed(Speed.X2); ctl.reset()      # speed; back to step 0 with a fresh run

States: idle (nothing run yet), running, paused, stopped (the run closed: terminated, a budget, diverged or
failed). Replaying is not a run state: it plays recorded frames on top of paused or stopped, so a replay
that ends leaves the run where it was. The page draws `shown_index` and switches its fragment's run_every
on while `ticking`.

Why ticks count optimiser steps and not seconds: a tick of "as many steps as fit in 0.5 s" shows a
20-step run in one frame on a fast machine and twenty on a slow one. Here a tick does a fixed number of
steps, so at 1x every step is its own frame on any machine; wall time is only a cap (`Pace.cap_seconds`),
which can make a tick smaller (more frames, never fewer) when steps are slow, and which is the whole
measure only in "as fast as possible", where the frame count is the machine's by definition.
"""
from __future__ import annotations

import enum
import logging
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from unlearn_core import Outcome, UserInputError

from .live_run import LiveRun

log = logging.getLogger(__name__)

MAX_TICK_HZ = 4.0            # page updates a second at most: each sends three plotly figures to the browser
FASTEST_TICK_SECONDS = 1.0   # "as fast as possible": engine time per tick, so drawing costs a few % of it
MIN_TICK_SECONDS = 0.05      # the shortest run_every handed to the page (a rerun has a fixed cost)


class Status(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class Speed(enum.Enum):
    """Playback speed: a multiple of the base frame rate (one optimiser step per frame at 1x)."""
    X025 = 0.25
    X05 = 0.5
    X1 = 1.0
    X2 = 2.0
    X4 = 4.0
    FASTEST = math.inf

    @property
    def label(self) -> str:
        return "as fast as possible" if self is Speed.FASTEST else f"{self.value:g}x"

    @classmethod
    def from_label(cls, label: str) -> "Speed":
        return next(s for s in cls if s.label == label)


@dataclass(frozen=True)
class Pace:
    """How a tick advances: `steps_per_tick` optimiser steps (or recorded frames' steps when replaying),
    one tick every `tick_seconds`. cap_seconds: a tick stops early past it (after at least one step)."""
    steps_per_tick: int | None      # None: as many as the cap allows ("as fast as possible")
    tick_seconds: float
    cap_seconds: float

    @staticmethod
    def of(speed: Speed, fps: float) -> "Pace":
        """fps: frames a second at 1x (the app's ViewConfig.fps). Up to MAX_TICK_HZ every step is a
        frame and the ticks come faster; beyond it a tick does several steps (4x at 2 fps: 2 a tick)."""
        if speed is Speed.FASTEST:
            return Pace(None, MIN_TICK_SECONDS, FASTEST_TICK_SECONDS)
        steps_per_second = fps * speed.value
        tick_hz = min(steps_per_second, MAX_TICK_HZ)
        # The cap is the tick's own period: a tick that cannot do its steps in time yields the frame it has.
        return Pace(max(1, round(steps_per_second / tick_hz)), max(MIN_TICK_SECONDS, 1 / tick_hz), 1 / tick_hz)


class RunController:
    def __init__(self, new_run: Callable[[], LiveRun], fps: float = 2.0, speed: Speed = Speed.X1,
                 clock: Callable[[], float] = time.perf_counter, wait_for_draw: bool = False):
        self._new_run = new_run          # a fresh LiveRun (idle, nothing computed): at start and on Reset
        self.live: LiveRun = new_run()
        self.fps = fps
        self.speed = speed
        self.clock = clock               # the cap's clock; tests pass one that never advances
        self.status = Status.IDLE
        self.replaying = False
        self.cursor: int | None = None   # the frame index shown; None: the newest
        self.error: str | None = None    # why the run failed (one line), when it did
        self.ticks = 0                   # ticks that did work (benchmarks count frames with it)
        self._hold = False               # the next tick only shows the replay's first frame
        # wait_for_draw: a tick does nothing until drawn() says the previous tick's frame reached the page.
        # Streamlit abandons a script run when the next tick's rerun arrives first (a loaded server), and
        # a frame stepped in an abandoned run would never be seen: the run slows down instead.
        self.wait_for_draw = wait_for_draw
        self._undrawn = False

    # ---- what the page draws ------------------------------------------------------------------------
    @property
    def pace(self) -> Pace:
        return Pace.of(self.speed, self.fps)

    @property
    def ticking(self) -> bool:
        """True while ticks have work: the page's fragment runs every pace.tick_seconds only then."""
        return self.status is Status.RUNNING or self.replaying

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

    # ---- commands -----------------------------------------------------------------------------------
    def run(self) -> None:
        """Run (or resume) live from the newest step; a stopped run stays stopped."""
        if self.status is Status.STOPPED:
            return
        self.replaying, self.cursor = False, None
        self.status = Status.RUNNING

    def pause(self) -> None:
        if self.status is Status.RUNNING:
            self.status = Status.PAUSED
        self.replaying = False

    def step(self) -> int:
        """Exactly one optimiser step now, then paused (at the new step). Returns steps done (0 or 1)."""
        if self.status is Status.STOPPED:
            self.replaying = False
            return 0
        self.replaying, self.cursor = False, None
        self.status = Status.PAUSED
        return self._advance(1, cap=None)

    def reset(self) -> None:
        """Back to step 0: a fresh run; the old one's generator and model copy are dropped now."""
        self.live.close()
        self.live = self._new_run()
        self.status, self.replaying, self.cursor, self.error = Status.IDLE, False, None, None

    def seek(self, index: int) -> None:
        """Show map frame `index` (clamped). Dragging the timeline while running pauses the run."""
        if not self.live.frames:
            return
        if self.status is Status.RUNNING:
            self.status = Status.PAUSED
        self.replaying = False
        self.cursor = max(0, min(int(index), len(self.live.frames) - 1))

    def seek_step(self, step: int) -> None:
        """seek() to the newest frame recorded at or before optimiser step `step`."""
        if self.live.frames:
            self.seek(self.live.frame_index_at(step))

    def replay(self) -> None:
        """Play the recorded frames from step 0 at the current speed; a running run pauses first."""
        if not self.can_replay:
            return
        if self.status is Status.RUNNING:
            self.status = Status.PAUSED
        # The page reruns (and ticks) right after the click: holding that tick lets step 0 be seen.
        self.replaying, self.cursor, self._hold = True, 0, True

    def set_speed(self, speed: Speed) -> None:
        self.speed = speed

    def close(self) -> None:
        self.live.close()

    # ---- the tick -----------------------------------------------------------------------------------
    def tick(self) -> int:
        """One frame's worth of work: replaying moves the cursor over `steps_per_tick` recorded steps;
        running does `steps_per_tick` optimiser steps (fewer if the cap passes first, never none).
        Returns the steps advanced (0 when there was nothing to do)."""
        pace = self.pace
        if self.wait_for_draw and self._undrawn:
            return 0
        if self.replaying and self._hold:
            self._hold = False
            return 0
        if self.replaying:
            done = self._replay_forward(pace.steps_per_tick)
        elif self.status is Status.RUNNING:
            done = self._advance(pace.steps_per_tick, pace.cap_seconds)
        else:
            return 0
        self.ticks += 1 if done else 0
        self._undrawn = bool(done)
        return done

    def drawn(self) -> None:
        """The page has shown the last tick's frame (see wait_for_draw)."""
        self._undrawn = False

    def _replay_forward(self, steps: int | None) -> int:
        frames, index = self.live.frames, self.shown_index or 0
        newest = len(frames) - 1
        if steps is None:                   # "as fast as possible" replays at MAX_TICK_HZ's step count
            steps = max(1, round(self.fps * Speed.X4.value / MAX_TICK_HZ))
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
