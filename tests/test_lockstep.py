"""The lockstep controller driven step by step: several real runs (the engine on digits, short budgets), no
Streamlit, no sleeps, no timing asserts. The cap's clock is a stub, so a tick never depends on this machine."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app_ui.live_run import LiveRun, PreparedMap
from app_ui.lockstep import LockstepController
from app_ui.run_controller import Speed, Status
from test_run_controller import FrozenClock, SlowClock
from unlearn_core.baselines import method_unlearn_config
from unlearn_core.metrics import infer
from unlearn_core.projection import MapProjection, MapSettings
from unlearn_core.splits import make_split

PROBE_POINTS = 100      # a small map: each lane embeds the probe set at every step, three lanes a step


@pytest.fixture(scope="module")
def prepared(class_prep) -> PreparedMap:
    """The class-5 experiment on a 100-point map with a stand-in layout (random 2-D points; UMAP is not
    what is tested)."""
    prep = replace(class_prep, split=make_split(class_prep.data, class_prep.exp.forget, probe_size=PROBE_POINTS))
    split = prep.split
    out = infer(prep.original.model, prep.data, "train", split.probe, prep.device)
    layout = np.random.default_rng(0).normal(size=(len(split.probe), 2)).astype(np.float32)
    projection = MapProjection(out.embeddings.numpy(), layout, ~split.probe_is_forget, MapSettings())
    return PreparedMap(prep, projection, [], out.probs().numpy())


def lockstep(prepared, lanes: dict[str, tuple[str, dict]], clock=None, speed=Speed.X1) -> LockstepController:
    """One lane per entry: name -> (method, UnlearnConfig overrides). Each lane stops by its own rule, its
    step budget, at a step known in advance: a learning rate of 1e-9 (the engine accepts none of 0) keeps
    the termination test from firing earlier, since the model barely moves, and it is evaluated only at
    step 0 and at the close (eval_every past the budget), which keeps the tests quick. What is tested
    here is the controller, not unlearning."""
    def new_run(method: str, overrides: dict):
        base = method_unlearn_config(method, "digits", "class")
        exp = replace(prepared.prep.exp, method=method,
                      unlearn=replace(base, **{"probe_every": 1, "eval_every": 1000, "lr": 1e-9, **overrides}))
        return lambda: LiveRun(prepared, exp)
    return LockstepController({name: new_run(method, overrides) for name, (method, overrides) in lanes.items()},
                              fps=2.0, speed=speed, clock=clock or FrozenClock())


THREE = {"contrastive": ("contrastive", {"max_steps": 6}), "neggrad": ("neggrad", {"max_steps": 3}),
         "finetune": ("finetune", {"max_steps": 5})}


def lane_steps(ctl: LockstepController) -> dict[str, int]:
    return {name: lane.live.step for name, lane in ctl.lanes.items()}


def play_to_the_end(ctl: LockstepController, limit: int = 100) -> list[dict[str, int]]:
    seen = []
    ctl.run()
    while ctl.status is Status.RUNNING and len(seen) < limit:
        ctl.tick()
        seen.append(lane_steps(ctl))
    assert ctl.status is Status.STOPPED
    return seen


# ---- lockstep -----------------------------------------------------------------------------------------
def test_idle_until_run_then_every_lane_does_the_same_step_each_tick(prepared):
    ctl = lockstep(prepared, THREE)
    assert ctl.status is Status.IDLE and ctl.tick() == 0 and ctl.shown_step is None
    assert ctl.frame_index("contrastive") is None           # the page draws the original's map until then
    ctl.run()
    assert ctl.tick() == 1
    assert lane_steps(ctl) == {"contrastive": 1, "neggrad": 1, "finetune": 1}
    assert ctl.timeline == [0, 1] and ctl.shown_step == 1
    assert ctl.tick() == 1 and set(lane_steps(ctl).values()) == {2}


def test_each_lane_stops_by_its_own_rule_and_holds_its_last_frame(prepared):
    ctl = lockstep(prepared, THREE)
    seen = play_to_the_end(ctl)
    # Lockstep: one step a tick at 1x, every lane still going at the same step, a stopped lane stays put.
    assert seen == [{"contrastive": n, "neggrad": min(n, 3), "finetune": min(n, 5)} for n in range(1, 7)]
    finals = {name: lane.live.final for name, lane in ctl.lanes.items()}
    assert {name: f.step for name, f in finals.items()} == {"contrastive": 6, "neggrad": 3, "finetune": 5}
    assert all(lane.status is Status.STOPPED for lane in ctl.lanes.values())
    assert ctl.timeline == list(range(7)) and ctl.shown_step == 6 and ctl.steps_done == 6
    # At step 6 NegGrad and fine-tuning show their closing frames; contrastive its newest.
    assert {name: ctl.lanes[name].live.frames[ctl.frame_index(name)].step for name in THREE} == \
        {"contrastive": 6, "neggrad": 3, "finetune": 5}
    assert ctl.holding("neggrad") and ctl.holding("finetune") and not ctl.holding("contrastive")
    assert ctl.run() is None and ctl.step() == 0 and ctl.status is Status.STOPPED     # stopped until Reset


def test_faster_paces_do_the_same_number_of_steps_in_every_lane(prepared):
    ctl = lockstep(prepared, THREE, speed=Speed.X4)               # 2 steps a tick at 2 fps
    ctl.run()
    assert ctl.tick() == 2 and lane_steps(ctl) == {"contrastive": 2, "neggrad": 2, "finetune": 2}
    assert ctl.tick() == 2 and lane_steps(ctl) == {"contrastive": 4, "neggrad": 3, "finetune": 4}


def test_as_fast_as_possible_rounds_are_never_split_by_the_cap(prepared):
    slow = lockstep(prepared, THREE, clock=SlowClock(), speed=Speed.FASTEST)
    slow.run()
    assert slow.tick() == 1 and set(lane_steps(slow).values()) == {1}    # the cap passed after one round
    fast = lockstep(prepared, THREE, speed=Speed.FASTEST)
    fast.run()
    fast.tick()                                                   # the cap never passes: to the end at once
    assert fast.status is Status.STOPPED and lane_steps(fast) == {"contrastive": 6, "neggrad": 3, "finetune": 5}


# ---- commands -----------------------------------------------------------------------------------------
def test_step_does_one_optimiser_step_in_every_lane_and_pauses(prepared):
    ctl = lockstep(prepared, THREE)
    assert ctl.step() == 1 and ctl.status is Status.PAUSED and set(lane_steps(ctl).values()) == {1}
    assert ctl.tick() == 0                                        # paused: ticks do nothing
    ctl.run()
    ctl.tick()
    ctl.pause()
    assert ctl.status is Status.PAUSED and ctl.tick() == 0 and set(lane_steps(ctl).values()) == {2}


def test_seeking_shows_every_lane_at_that_step_and_pauses(prepared):
    ctl = lockstep(prepared, THREE)
    ctl.run()
    for _ in range(4):
        ctl.tick()
    ctl.seek_step(2)
    assert ctl.status is Status.PAUSED and not ctl.ticking and ctl.shown_step == 2
    assert all(ctl.lanes[name].live.frames[ctl.frame_index(name)].step == 2 for name in THREE)
    assert not ctl.holding("neggrad")
    ctl.seek_step(99)                                            # past the end: the newest step
    assert ctl.shown_step == 4 and ctl.holding("neggrad")         # NegGrad stopped at 3
    ctl.run()                                                     # Run follows the newest step again
    ctl.tick()
    assert ctl.shown_step == 5


def test_replay_plays_the_shared_timeline_from_step_0_and_leaves_the_runs_where_they_were(prepared):
    ctl = lockstep(prepared, THREE)
    play_to_the_end(ctl)
    ctl.replay()
    assert ctl.ticking and ctl.shown_step == 0
    assert ctl.tick() == 0 and ctl.shown_step == 0              # the held tick: step 0 is seen
    shown = []
    while ctl.replaying:
        ctl.tick()
        shown.append(ctl.shown_step)
    assert shown == [1, 2, 3, 4, 5, 6] and ctl.status is Status.STOPPED and ctl.shown_step == 6
    ctl.replay()
    ctl.tick()
    ctl.tick()
    ctl.pause()                                                   # Stop replay: stays at the shown step
    assert not ctl.replaying and ctl.shown_step == 1


def test_lanes_recording_at_different_rates_share_one_timeline(prepared):
    ctl = lockstep(prepared, {"every step": ("contrastive", {"max_steps": 4}),
                              "every 2nd": ("contrastive", {"max_steps": 4, "probe_every": 2})})
    play_to_the_end(ctl)
    assert ctl.timeline == [0, 1, 2, 3, 4]
    ctl.seek_step(3)                                              # the sparse lane shows its step-2 frame
    assert ctl.lanes["every 2nd"].live.frames[ctl.frame_index("every 2nd")].step == 2
    assert ctl.lanes["every step"].live.frames[ctl.frame_index("every step")].step == 3


def test_reset_gives_every_lane_a_fresh_run(prepared):
    ctl = lockstep(prepared, THREE)
    play_to_the_end(ctl)
    old = [lane.live for lane in ctl.lanes.values()]
    ctl.reset()
    assert ctl.status is Status.IDLE and ctl.timeline == [] and ctl.shown_step is None
    assert all(lane.live is not run and not lane.live.started for lane, run in zip(ctl.lanes.values(), old))


# ---- failures are states --------------------------------------------------------------------------------
def test_a_failing_lane_stops_with_one_line_and_the_others_go_on(prepared):
    ctl = lockstep(prepared, THREE)
    ctl.step()

    def broken(**_):
        raise RuntimeError("out of memory\nsecond line")
    ctl.lanes["neggrad"].live.advance = broken
    ctl.run()
    assert ctl.tick() == 1                                         # the round went on without NegGrad
    assert ctl.lanes["neggrad"].status is Status.STOPPED
    assert ctl.lanes["neggrad"].error == "RuntimeError: out of memory"
    assert lane_steps(ctl) == {"contrastive": 2, "neggrad": 1, "finetune": 2}
    assert ctl.status is Status.RUNNING
    while ctl.status is Status.RUNNING:
        ctl.tick()
    assert lane_steps(ctl) == {"contrastive": 6, "neggrad": 1, "finetune": 5}
    assert ctl.frame_index("neggrad") == 1                        # its last frame (step 1), held


def test_every_lane_failing_stops_the_whole(prepared):
    ctl = lockstep(prepared, {"a": ("contrastive", {"max_steps": 6}), "b": ("contrastive", {"max_steps": 6})})

    def broken(**_):
        raise ValueError("bad")
    for lane in ctl.lanes.values():
        lane.live.advance = broken
    ctl.run()
    assert ctl.tick() == 0 and ctl.status is Status.STOPPED and not ctl.ticking
    assert {lane.error for lane in ctl.lanes.values()} == {"ValueError: bad"}


def test_waiting_for_the_draw_never_steps_past_an_undrawn_frame(prepared):
    ctl = lockstep(prepared, THREE)
    ctl.wait_for_draw = True
    ctl.run()
    assert ctl.tick() == 1
    assert ctl.tick() == 0 and set(lane_steps(ctl).values()) == {1}
    ctl.drawn()
    assert ctl.tick() == 1 and set(lane_steps(ctl).values()) == {2}


def test_a_lockstep_needs_runs():
    with pytest.raises(ValueError):
        LockstepController({})
