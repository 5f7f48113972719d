"""Playback: the state machine behind the Run / Pause / Step / Replay / timeline / speed controls (no Streamlit),
driven tick by tick. RunController (run_controller.py: one engine run) and LockstepController (lockstep.py:
several runs on one timeline) are both a Playback, so the pages' control row (run_controls.py) and timeline
(live_view.timeline_slider) drive either; each subclass says only what its frames are and how it advances.

States: idle (nothing run yet), running, paused, stopped (the run closed: terminated, a budget, diverged or
failed). Replaying is not a run state: it plays recorded frames on top of paused or stopped, so a replay
that ends leaves the run where it was. The page draws the shown frame and switches its fragment's run_every
on while `ticking`.

Why ticks count optimiser steps and not seconds: a tick of "as many steps as fit in 0.5 s" shows a
20-step run in one frame on a fast machine and twenty on a slow one. Here a tick does a fixed number of
steps, so at 1x every step is its own frame on any machine; wall time is only a cap (`Pace.cap_seconds`),
which can make a tick smaller (more frames, never fewer) when steps are slow, and which is the whole
measure only in "as fast as possible", where the frame count is the machine's by definition.
"""
from __future__ import annotations

import abc
import enum
import math
from dataclasses import dataclass
from typing import Callable

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


class Playback(abc.ABC):
    """The states, the commands and the tick. A subclass keeps the frames: `cursor` is its position in them
    (a frame index, a timeline step: the subclass's unit), None while following the newest."""

    def __init__(self, fps: float, speed: Speed, clock: Callable[[], float], wait_for_draw: bool):
        self.fps = fps
        self.speed = speed
        self.clock = clock               # the cap's clock; tests pass one that never advances
        self.status = Status.IDLE
        self.replaying = False
        self.cursor: int | None = None   # the shown frame's position; None: the newest
        self.ticks = 0                   # ticks that did work (benchmarks count frames with it)
        self._hold = False               # the next tick only shows the replay's first frame
        # wait_for_draw: a tick does nothing until drawn() says the previous tick's frame reached the page.
        # Streamlit abandons a script run when the next tick's rerun arrives first (a loaded server), and
        # a frame stepped in an abandoned run would never be seen: the run slows down instead.
        self.wait_for_draw = wait_for_draw
        self._undrawn = False

    # ---- what the subclass says -----------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def can_replay(self) -> bool:
        """Replay has something to play: at least two recorded frames."""

    @property
    @abc.abstractmethod
    def shown_step(self) -> int | None:
        """The optimiser step on screen (None before the first frame)."""

    @abc.abstractmethod
    def seek_step(self, step: int) -> None:
        """Show the newest frame at or before optimiser step `step` (see _show_at)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Back to step 0 with fresh runs (see _rewind)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Drop the runs' engines now."""

    @abc.abstractmethod
    def _advance(self, steps: int | None, cap: float | None) -> int:
        """Up to `steps` optimiser steps (None: until `cap` seconds have passed since the first); stops
        the playback once there is nothing left to run. Returns the steps done."""

    @abc.abstractmethod
    def _replay_forward(self, steps: int) -> int:
        """Move the cursor `steps` recorded steps on (at least one frame); at the end, stop replaying and
        follow the newest frame again. Returns the steps moved."""

    @abc.abstractmethod
    def _first_cursor(self) -> int:
        """The cursor at the first recorded frame, where a replay starts."""

    # ---- what the page draws ------------------------------------------------------------------------
    @property
    def pace(self) -> Pace:
        return Pace.of(self.speed, self.fps)

    @property
    def ticking(self) -> bool:
        """True while ticks have work: the page's fragment runs every pace.tick_seconds only then."""
        return self.status is Status.RUNNING or self.replaying

    # ---- commands -----------------------------------------------------------------------------------
    def run(self) -> None:
        """Run (or resume) live from the newest step; a stopped run stays stopped."""
        if self.status is Status.STOPPED:
            return
        self.replaying, self.cursor = False, None
        self.status = Status.RUNNING

    def pause(self) -> None:
        """A running run pauses; a replay stops where it is."""
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

    def replay(self) -> None:
        """Play the recorded frames from step 0 at the current speed; a running run pauses first."""
        if not self.can_replay:
            return
        self.pause()
        # The page reruns (and ticks) right after the click: holding that tick lets step 0 be seen.
        self.replaying, self.cursor, self._hold = True, self._first_cursor(), True

    def set_speed(self, speed: Speed) -> None:
        self.speed = speed

    def _show_at(self, cursor: int) -> None:
        """What a seek does once the subclass has placed `cursor`: dragging the timeline while running
        pauses the run, and stops a replay."""
        self.pause()
        self.cursor = cursor

    def _rewind(self) -> None:
        """What a reset does once the subclass has fresh runs: idle, following the newest frame."""
        self.status, self.replaying, self.cursor = Status.IDLE, False, None

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
            done = self._replay_forward(self._replay_steps_per_tick(pace))
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

    def _replay_steps_per_tick(self, pace: Pace) -> int:
        """A replay has no engine time to cap, so "as fast as possible" replays at MAX_TICK_HZ's step count."""
        if pace.steps_per_tick is None:
            return max(1, round(self.fps * Speed.X4.value / MAX_TICK_HZ))
        return pace.steps_per_tick
