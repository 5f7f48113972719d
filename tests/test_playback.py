"""The Playback state machine on its own (app_ui/playback.py), driven step by step over a counter instead of an
engine: no Streamlit, no model, no sleeps, no timing asserts. tests/test_run_controller.py and
tests/test_lockstep.py test the same commands through the two real controllers."""
from __future__ import annotations

import pytest

from app_ui.playback import MAX_TICK_HZ, Playback, Speed, Status


class Counter(Playback):
    """A Playback whose run is a counter: every optimiser step records a frame (its step), and the run stops
    at `budget` steps. The cursor is the shown step."""

    def __init__(self, budget: int = 6, speed: Speed = Speed.X1, wait_for_draw: bool = False):
        super().__init__(fps=2.0, speed=speed, clock=lambda: 0.0, wait_for_draw=wait_for_draw)
        self.budget = budget
        self.frames = [0]               # the recorded steps; step 0 is there from the start
        self.closed = False

    @property
    def can_replay(self) -> bool:
        return len(self.frames) >= 2

    @property
    def shown_step(self) -> int:
        return self.frames[-1] if self.cursor is None else self.cursor

    def seek_step(self, step: int) -> None:
        self._show_at(min(step, self.frames[-1]))

    def reset(self) -> None:
        self.frames = [0]
        self._rewind()

    def close(self) -> None:
        self.closed = True

    def _first_cursor(self) -> int:
        return 0

    def _advance(self, steps: int | None, cap: float | None) -> int:
        done = 0
        while self.frames[-1] < self.budget and (steps is None or done < steps):
            self.frames.append(self.frames[-1] + 1)
            done += 1
        if self.frames[-1] >= self.budget:
            self.status = Status.STOPPED
        return done

    def _replay_forward(self, steps: int) -> int:
        start, newest = self.shown_step, self.frames[-1]
        self.cursor = min(start + steps, newest)
        if self.cursor == newest:
            self.replaying, self.cursor = False, None
        return min(start + steps, newest) - start


def test_a_playback_needs_its_frames_and_its_run():
    with pytest.raises(TypeError):
        Playback(fps=2.0, speed=Speed.X1, clock=lambda: 0.0, wait_for_draw=False)


def test_idle_until_run_then_each_tick_advances_until_the_run_stops():
    ctl = Counter(budget=3)
    assert ctl.status is Status.IDLE and not ctl.ticking and ctl.tick() == 0 and ctl.frames == [0]
    ctl.run()
    assert ctl.status is Status.RUNNING and ctl.ticking
    assert [ctl.tick() for _ in range(3)] == [1, 1, 1]
    assert ctl.status is Status.STOPPED and not ctl.ticking and ctl.ticks == 3
    ctl.run()                                               # a stopped run stays stopped until Reset
    assert ctl.status is Status.STOPPED and ctl.step() == 0 and ctl.tick() == 0
    ctl.reset()
    assert ctl.status is Status.IDLE and ctl.frames == [0] and ctl.cursor is None


def test_the_speed_sets_the_steps_a_tick():
    ctl = Counter(speed=Speed.X4)                           # 2 fps x 4: two steps a tick
    ctl.run()
    assert ctl.tick() == 2
    ctl.set_speed(Speed.FASTEST)                            # as many as the cap allows: here, to the end
    assert ctl.tick() == 4 and ctl.status is Status.STOPPED


def test_pause_stops_the_ticks_and_step_does_one_step_then_pauses():
    ctl = Counter()
    ctl.run()
    ctl.tick()
    ctl.pause()
    assert ctl.status is Status.PAUSED and not ctl.ticking and ctl.tick() == 0
    assert ctl.step() == 1 and ctl.frames[-1] == 2 and ctl.status is Status.PAUSED
    ctl.run()
    assert ctl.tick() == 1 and ctl.frames[-1] == 3


def test_seeking_pauses_a_running_run_and_run_follows_the_newest_again():
    ctl = Counter()
    ctl.run()
    ctl.tick()
    ctl.tick()
    ctl.seek_step(1)
    assert ctl.status is Status.PAUSED and ctl.shown_step == 1 and ctl.tick() == 0
    ctl.run()
    assert ctl.cursor is None and ctl.tick() == 1 and ctl.shown_step == 3


def test_replay_holds_its_first_frame_for_a_tick_then_plays_and_ends_where_the_run_is():
    ctl = Counter(budget=3)
    assert ctl.replay() is None and not ctl.replaying       # nothing recorded to replay yet
    ctl.run()
    ctl.tick()
    ctl.replay()                                            # a running run pauses and replays
    assert ctl.status is Status.PAUSED and ctl.replaying and ctl.ticking and ctl.shown_step == 0
    assert ctl.tick() == 0 and ctl.shown_step == 0          # the held tick: step 0 is seen
    assert ctl.tick() == 1 and not ctl.replaying and ctl.cursor is None
    assert ctl.status is Status.PAUSED and ctl.frames == [0, 1]     # the replay never ran the counter


def test_pausing_a_replay_stays_at_the_shown_step():
    ctl = Counter(budget=4)
    ctl.run()
    while ctl.ticking:
        ctl.tick()
    ctl.replay()
    ctl.tick()
    ctl.tick()
    ctl.pause()
    assert not ctl.replaying and ctl.shown_step == 1 and ctl.status is Status.STOPPED


def test_as_fast_as_possible_replays_at_the_4x_step_count():
    ctl = Counter(budget=6, speed=Speed.FASTEST)
    ctl.run()
    ctl.tick()
    ctl.replay()
    ctl.tick()                                              # the held tick
    assert ctl.tick() == max(1, round(ctl.fps * Speed.X4.value / MAX_TICK_HZ)) == 2


def test_waiting_for_the_draw_never_advances_past_an_undrawn_frame():
    ctl = Counter(wait_for_draw=True)
    ctl.run()
    assert ctl.tick() == 1
    assert ctl.tick() == 0 and ctl.frames[-1] == 1
    ctl.drawn()
    assert ctl.tick() == 1 and ctl.frames[-1] == 2
