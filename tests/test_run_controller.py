"""The run controller driven step by step: no Streamlit, no sleeps, no timing asserts. The cap's clock is
a stub, so what a tick does never depends on how fast this machine is."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app_ui.live_run import LiveRun, PreparedMap
from app_ui.run_controller import MAX_TICK_HZ, Pace, RunController, Speed, Status
from unlearn_core import Outcome
from unlearn_core.metrics import infer
from unlearn_core.projection import MapProjection, MapSettings


class FrozenClock:
    """Time never passes: the wall-time cap never cuts a tick short."""
    def __call__(self) -> float:
        return 0.0


class SlowClock:
    """Every reading is an hour later: the cap passes after each tick's first step."""
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 3600.0
        return self.now


@pytest.fixture(scope="module")
def prepared(class_prep) -> PreparedMap:
    """The class-5 experiment with a stand-in layout (random 2-D points; UMAP is not what is tested)."""
    split = class_prep.split
    out = infer(class_prep.original.model, class_prep.data, "train", split.probe, class_prep.device)
    layout = np.random.default_rng(0).normal(size=(len(split.probe), 2)).astype(np.float32)
    projection = MapProjection(out.embeddings.numpy(), layout, ~split.probe_is_forget, MapSettings())
    return PreparedMap(class_prep, projection, [], out.probs().numpy())


def controller(prepared, clock=None, fps=2.0, speed=Speed.X1, **unlearn) -> RunController:
    cfg = replace(prepared.prep.exp.unlearn_config(), probe_every=1, **{"max_steps": 6, **unlearn})
    exp = replace(prepared.prep.exp, unlearn=cfg)
    return RunController(lambda: LiveRun(prepared, exp), fps=fps, speed=speed, clock=clock or FrozenClock())


def frame_steps(ctl: RunController) -> list[int]:
    return [f.step for f in ctl.live.frames]


def run_to_the_end(ctl: RunController, limit: int = 1000) -> list[int]:
    """Tick until stopped; the newest step after each tick."""
    seen = []
    ctl.run()
    while ctl.status is Status.RUNNING and len(seen) < limit:
        ctl.tick()
        seen.append(ctl.live.step)
    assert ctl.status is Status.STOPPED
    return seen


# ---- pace ---------------------------------------------------------------------------------------------
def test_one_step_a_frame_up_to_the_tick_rate_then_several_steps_a_tick():
    assert Pace.of(Speed.X1, fps=2.0) == Pace(1, 0.5, 0.5)
    assert Pace.of(Speed.X025, fps=2.0) == Pace(1, 2.0, 2.0)
    assert Pace.of(Speed.X2, fps=2.0).steps_per_tick == 1
    assert Pace.of(Speed.X4, fps=2.0) == Pace(2, 1 / MAX_TICK_HZ, 1 / MAX_TICK_HZ)
    assert Pace.of(Speed.FASTEST, fps=2.0).steps_per_tick is None
    assert [Speed.from_label(s.label) for s in Speed] == list(Speed)


def test_the_default_class_run_plays_for_at_least_five_seconds_at_1x(prepared):
    ctl = controller(prepared, max_steps=10_000)         # the app's defaults: terminates on its own
    seen = run_to_the_end(ctl)
    assert ctl.live.final.step >= 10
    assert len(seen) * ctl.pace.tick_seconds >= 5.0


# ---- the run's states ---------------------------------------------------------------------------------
def test_idle_until_run_and_a_tick_does_one_optimiser_step_at_1x(prepared):
    ctl = controller(prepared)
    assert ctl.status is Status.IDLE and not ctl.ticking and ctl.shown_index is None
    assert ctl.tick() == 0 and not ctl.live.started
    seen = run_to_the_end(ctl)
    assert seen == [1, 2, 3, 4, 5, 6]                     # one step a tick; the 6th closes the run
    assert frame_steps(ctl) == list(range(7))             # every optimiser step is a map frame
    assert ctl.live.final.outcome is Outcome.STEP_BUDGET and not ctl.ticking
    assert ctl.ticks == 6


def test_at_4x_a_tick_does_its_fixed_number_of_steps(prepared):
    ctl = controller(prepared, speed=Speed.X4)            # 2 fps x 4 = 8 steps a second at 4 ticks a second
    assert run_to_the_end(ctl) == [2, 4, 6]
    assert frame_steps(ctl) == list(range(7))             # the frames skipped live are recorded for replay


def test_the_wall_time_cap_only_makes_ticks_smaller(prepared):
    ctl = controller(prepared, clock=SlowClock(), speed=Speed.X4)
    assert run_to_the_end(ctl) == [1, 2, 3, 4, 5, 6]      # each tick still does one step


def test_as_fast_as_possible_runs_until_the_cap(prepared):
    ctl = controller(prepared, speed=Speed.FASTEST)
    assert run_to_the_end(ctl) == [6]                     # time never passes: one tick runs to the end
    ctl = controller(prepared, clock=SlowClock(), speed=Speed.FASTEST)
    assert run_to_the_end(ctl) == [1, 2, 3, 4, 5, 6]


def test_pause_stops_the_ticks_and_run_resumes(prepared):
    ctl = controller(prepared)
    ctl.run()
    ctl.tick()
    ctl.tick()
    ctl.pause()
    assert ctl.status is Status.PAUSED and not ctl.ticking
    assert ctl.tick() == 0 and ctl.tick() == 0 and ctl.live.step == 2
    ctl.run()
    assert ctl.tick() == 1 and ctl.live.step == 3


def test_step_does_exactly_one_optimiser_step_and_pauses(prepared):
    ctl = controller(prepared)
    assert ctl.step() == 1 and ctl.live.step == 1 and ctl.status is Status.PAUSED
    assert ctl.step() == 1 and ctl.live.step == 2
    ctl.run()
    ctl.tick()
    assert ctl.step() == 1 and ctl.live.step == 4 and ctl.status is Status.PAUSED
    assert frame_steps(ctl) == [0, 1, 2, 3, 4]


def test_a_stopped_run_neither_runs_nor_steps_until_reset(prepared):
    ctl = controller(prepared, max_steps=2)
    run_to_the_end(ctl)
    ctl.run()
    assert ctl.status is Status.STOPPED and ctl.step() == 0 and ctl.tick() == 0
    old = ctl.live
    ctl.reset()
    assert ctl.status is Status.IDLE and ctl.live is not old and not ctl.live.frames and ctl.error is None
    assert ctl.step() == 1 and ctl.live.step == 1


# ---- the timeline and replay --------------------------------------------------------------------------
def test_seeking_shows_that_frame_and_pauses_a_running_run(prepared):
    ctl = controller(prepared)
    ctl.seek(3)
    assert ctl.shown_index is None                        # nothing recorded yet: nothing to seek
    ctl.run()
    for _ in range(4):
        ctl.tick()
    ctl.seek(1)
    assert ctl.status is Status.PAUSED and ctl.shown_step == 1 and ctl.tick() == 0
    ctl.seek(99)
    assert ctl.shown_index == len(ctl.live.frames) - 1    # clamped
    ctl.seek_step(2)
    assert ctl.shown_step == 2
    ctl.run()                                             # Run goes back to following the newest frame
    ctl.tick()
    assert ctl.shown_step == ctl.live.step == 5


def test_replay_plays_the_recorded_frames_from_step_0_and_ends_where_the_run_is(prepared):
    ctl = controller(prepared)
    run_to_the_end(ctl)
    ctl.replay()
    assert ctl.replaying and ctl.ticking and ctl.shown_step == 0 and ctl.status is Status.STOPPED
    shown = []
    while ctl.replaying:
        ctl.tick()
        shown.append(ctl.shown_step)
    assert shown == [0, 1, 2, 3, 4, 5, 6]                 # step 0 for a tick, then every frame, one a tick
    assert ctl.status is Status.STOPPED and ctl.cursor is None


def test_replay_at_another_speed_and_while_running(prepared):
    ctl = controller(prepared)
    ctl.run()
    for _ in range(4):
        ctl.tick()
    ctl.replay()                                          # a running run pauses and replays
    assert ctl.status is Status.PAUSED and ctl.replaying
    ctl.set_speed(Speed.X4)
    shown = []
    while ctl.replaying:
        ctl.tick()
        shown.append(ctl.shown_step)
    assert shown == [0, 2, 4] and ctl.live.step == 4      # the replay never touched the engine
    ctl.replay()
    ctl.pause()
    assert not ctl.replaying and ctl.shown_step == 0      # a paused replay stays where it was


# ---- failures are states --------------------------------------------------------------------------------
def test_a_diverging_run_stops_with_its_reason_and_keeps_a_drawable_frame(prepared):
    ctl = controller(prepared, lr=10.0, tau=0.01, lambda_ul=1000.0, max_steps=50)
    run_to_the_end(ctl)
    final = ctl.live.final
    assert ctl.diverged and final.outcome is Outcome.DIVERGED
    assert f"diverged at step {final.step + 1}" in final.stop_reason
    assert np.isfinite(ctl.live.frame_xy(ctl.shown_index)).all()
    figures = ctl.live.figures(ctl.shown_index)           # the map and the curves draw whatever was recorded
    assert len(figures) == 3
    for index in range(len(ctl.live.frames)):
        ctl.live.figures(index)


def test_an_engine_error_stops_the_run_with_one_line_and_no_exception(prepared):
    ctl = controller(prepared)
    ctl.step()

    def broken(**_):
        raise RuntimeError("out of memory\nsecond line")
    ctl.live.advance = broken
    ctl.run()
    assert ctl.tick() == 0
    assert ctl.status is Status.STOPPED and ctl.error == "RuntimeError: out of memory"
    ctl.reset()
    assert ctl.status is Status.IDLE and ctl.error is None


def test_waiting_for_the_draw_never_steps_past_an_undrawn_frame(prepared):
    ctl = controller(prepared)
    ctl.wait_for_draw = True                              # the page's setting: a rerun can be abandoned
    ctl.run()
    assert ctl.tick() == 1
    assert ctl.tick() == 0 and ctl.live.step == 1         # step 1 was never drawn: no step 2 yet
    ctl.drawn()
    assert ctl.tick() == 1 and ctl.live.step == 2
