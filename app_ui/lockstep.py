"""LockstepController: several runs from the same original model, played together on one timeline (no Streamlit).

    ctl = LockstepController({"contrastive": new_run_a, "neggrad": new_run_b}, fps=2.0)  # idle; new_run_*: () -> LiveRun
    ctl.run(); ctl.tick()           # every run not yet stopped does the same `pace.steps_per_tick` optimiser steps
    ctl.pause(); ctl.step()         # paused; exactly one optimiser step for each run still going
    ctl.seek_step(12)               # show every run as it was at optimiser step 12 (pauses a running play)
    ctl.replay()                    # play the shared timeline again from step 0
    ctl.shown_step                  # the timeline's step on screen; ctl.frame_index("neggrad"): that run's frame there
    ctl.lanes["neggrad"]            # the method's own RunController: its LiveRun, status, error, stop

Like the RunController it is a Playback (playback.py: the states idle / running / paused / stopped with
replaying on top, the commands, the tick), so the Unlearn page's control row (run_controls.py) drives it
unchanged. Each method is a lane: a RunController used only through its one-step command `step()`, which
already turns an engine error into a stopped lane with a one-line reason, and knows a diverged run's last
drawable frame. A lane stops by its own method's rule; the others go on, and the whole stops when every
lane has.

The timeline is the union of the steps at which any lane recorded a map frame (the cursor is a timeline
step). At a timeline step each lane shows its newest frame at or before it, so a lane that stopped earlier
holds its last frame while the others move on.

Why lockstep counts optimiser steps and not time: the methods' steps cost different amounts of compute
(each method draws its own batches and losses), and "the same moment" for a teacher comparing them is the
same number of updates from the same original model.
"""
from __future__ import annotations

import bisect
import time
from typing import Callable, Mapping

from .live_run import LiveRun
from .playback import Playback, Speed, Status
from .run_controller import RunController


class LockstepController(Playback):
    def __init__(self, new_runs: Mapping[str, Callable[[], LiveRun]], fps: float = 2.0, speed: Speed = Speed.X1,
                 clock: Callable[[], float] = time.perf_counter, wait_for_draw: bool = False):
        if not new_runs:
            raise ValueError("a lockstep needs at least one run")
        super().__init__(fps, speed, clock, wait_for_draw)
        # A lane's own pace and clock are never used: only its step() is called, one optimiser step at a time.
        self.lanes: dict[str, RunController] = {name: RunController(new_run, fps=fps)
                                                for name, new_run in new_runs.items()}

    # ---- what the page draws ------------------------------------------------------------------------
    @property
    def timeline(self) -> list[int]:
        """Every optimiser step at which some lane recorded a map frame, in order."""
        return sorted({f.step for lane in self.lanes.values() for f in lane.live.frames})

    @property
    def shown_step(self) -> int | None:
        """The timeline step on screen (None before any frame)."""
        steps = self.timeline
        if not steps:
            return None
        if self.cursor is None:
            return steps[-1]
        return steps[self._timeline_index(steps, self.cursor)]

    @property
    def steps_done(self) -> int:
        """Optimiser steps done by the lane that went furthest (the others stopped earlier)."""
        return max(lane.live.step for lane in self.lanes.values())

    @property
    def can_replay(self) -> bool:
        return len(self.timeline) >= 2

    def frame_index(self, name: str) -> int | None:
        """Lane `name`'s map frame at the shown step: its newest frame at or before it (a lane that stopped
        earlier holds its last one; a diverged lane its last drawable one). None: no frame yet."""
        lane, step = self.lanes[name], self.shown_step
        if not lane.live.frames or step is None:
            return None
        return lane.drawable_index(lane.live.frame_index_at(step))

    def holding(self, name: str) -> bool:
        """Lane `name` stopped before the shown step: its map is its last frame, held."""
        final, step = self.lanes[name].live.final, self.shown_step
        return final is not None and step is not None and step > final.step

    # ---- commands (run, pause, step, replay, set_speed: Playback's) ----------------------------------
    def reset(self) -> None:
        """Back to step 0: every lane a fresh run."""
        for lane in self.lanes.values():
            lane.reset()
        self._rewind()

    def seek_step(self, step: int) -> None:
        """Show the newest timeline step at or before `step`; dragging the timeline while running pauses."""
        if not self.timeline:
            return
        self._show_at(int(step))

    def close(self) -> None:
        for lane in self.lanes.values():
            lane.close()

    # ---- what a tick does ---------------------------------------------------------------------------
    def _first_cursor(self) -> int:
        return self.timeline[0]

    def _advance(self, steps: int | None, cap: float | None) -> int:
        """Up to `steps` rounds (None: until the cap) of one optimiser step per lane still going. A round is
        never split, so the lanes stay at the same step; the cap is checked between rounds, from the end of
        the first (which may start the engines: seconds of one-off warm-up)."""
        start, done = None, 0
        while steps is None or done < steps:
            if start is not None and cap is not None and self.clock() - start >= cap:
                break
            going = [lane for lane in self.lanes.values() if lane.status is not Status.STOPPED]
            # Every lane steps, even after one has failed: a failure is that lane's, not the round's.
            if sum(lane.step() for lane in going) == 0:
                break
            done += 1
            if start is None:
                start = self.clock()
        if all(lane.status is Status.STOPPED for lane in self.lanes.values()):
            self.status = Status.STOPPED
        return done

    def _replay_forward(self, steps: int) -> int:
        timeline = self.timeline
        index = self._timeline_index(timeline, self.cursor if self.cursor is not None else timeline[-1])
        target = max(index + 1, self._timeline_index(timeline, timeline[index] + steps))
        newest = len(timeline) - 1
        if target >= newest:                # the end: back to following the newest step
            self.replaying, self.cursor = False, None
            return timeline[newest] - timeline[index]
        self.cursor = timeline[target]
        return timeline[target] - timeline[index]

    @staticmethod
    def _timeline_index(timeline: list[int], step: int) -> int:
        """The index of the newest timeline step at or before `step` (0 when `step` is before them all)."""
        return max(0, bisect.bisect_right(timeline, step) - 1)
