"""The Side by side page's live view: a fragment that ticks the lockstep controller and draws every
method's map at the shared timeline's step, then the methods' curves overlaid.

    render_side_by_side_view(get_controller, prepared, get_target)
        # get_controller() -> the session's LockstepController now; get_target() -> the RetrainTarget to
        # draw, or None (not ready yet, or switched off)

It ticks as the Unlearn page's live view does, with the same fragment, timeline and glide (live_view.py says
why: run_every only while ticking, a whole-page rerun when that changes, no fading, points gliding between
frames, wait-for-draw).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import streamlit as st

from unlearn_core.baselines import METHOD_TITLES

from .cluster_curves import EXPLAINER as LEAVING_CLUSTER_EXPLAINER
from .cluster_curves import leaving_cluster_figure
from .live_chart import show_chart
from .live_run import PreparedMap
from .live_view import glide, render_ticking, timeline_slider
from .lockstep import LockstepController
from .retrain_target import RetrainTarget
from .run_controller import Status
from .side_by_side_figures import CURVES_HEIGHT, accuracy_overlay_figure, lane_curves, lane_map_figure

TIMELINE_KEY = "side_by_side.timeline"
ECHO_KEY = "side_by_side.timeline_echo"     # the timeline's TimelineEcho
ALL_STOPPED = "All methods have stopped"     # the banner's opening words (the browser test waits for them)


def title_of(method: str) -> str:
    return METHOD_TITLES.get(method, method)


def maps_per_row(count: int) -> int:
    """Three methods in one row (the paper's Figure 1); four as two rows of two, so each map stays legible."""
    return 2 if count == 4 else count


def render_side_by_side_view(get_controller: Callable[[], LockstepController], prepared: PreparedMap,
                             get_target: Callable[[], RetrainTarget | None]) -> None:
    render_ticking(get_controller, lambda ctl: _draw(ctl, prepared, get_target()))


def _draw(ctl: LockstepController, prepared: PreparedMap, target: RetrainTarget | None) -> None:
    _status(ctl)
    _timeline(ctl)
    names = list(ctl.lanes)
    per_row = maps_per_row(len(names))
    for start in range(0, len(names), per_row):
        for col, name in zip(st.columns(per_row), names[start:start + per_row]):
            with col:
                _lane(ctl, name, prepared, target)
    split = prepared.prep.split
    curves = lane_curves([title_of(n) for n in names], [ctl.lanes[n].live.evaluated for n in names],
                         [ctl.lanes[n].live.final for n in names])
    left, right = st.columns(2)
    with left:
        show_chart(accuracy_overlay_figure(curves, split.mode, split.num_classes, ctl.shown_step),
                   key="side_by_side.accuracy")
    leaving = leaving_cluster_figure({c.title: c.evaluated for c in curves}, cursor_step=ctl.shown_step,
                                     target=target.measures if target is not None else None, height=CURVES_HEIGHT)
    with right:
        show_chart(leaving, key="side_by_side.leaving")
        st.caption(LEAVING_CLUSTER_EXPLAINER)


def _status(ctl: LockstepController) -> None:
    if ctl.status is Status.STOPPED:
        failed = [title_of(n) for n, lane in ctl.lanes.items() if lane.error is not None]
        stops = ", ".join(f"{title_of(n)} at step {lane.live.final.step}" for n, lane in ctl.lanes.items()
                          if lane.live.final is not None)
        said = f"{ALL_STOPPED}" + (f": {stops}" if stops else "") + \
               (f". Failed: {', '.join(failed)}" if failed else "") + \
               ". Replay plays them together again; the timeline goes to any step."
        (st.warning if failed else st.success)(said)
        return
    if ctl.shown_step is None:
        st.info("Every map shows the probe samples as the original model embeds them. Press **Run** to unlearn "
                "with every method at once, one optimiser step each per frame, or **Step** to go one step at a "
                "time.")
        return
    state = "replaying" if ctl.replaying else ctl.status.value
    going = sum(lane.status is not Status.STOPPED for lane in ctl.lanes.values())
    st.markdown(f"**Step {ctl.shown_step}** · {going} of {len(ctl.lanes)} methods still unlearning · {state}")


def _lane(ctl: LockstepController, name: str, prepared: PreparedMap, target: RetrainTarget | None) -> None:
    lane, title = ctl.lanes[name], title_of(name)
    index = ctl.frame_index(name)
    if index is None:
        frame = replace(prepared.preview(), title=f"{title}: the original model (step 0)")
    else:
        frame = lane.live.map_frame(index, dense=not ctl.ticking)
        held = " (stopped: its last frame)" if ctl.holding(name) else ""
        frame = replace(frame, title=f"{title}: step {frame.step}{held}")
    fig = lane_map_figure(frame, target)
    glide(fig, ctl)
    show_chart(fig, key=f"side_by_side.map.{name}")
    final = lane.live.final
    if lane.error is not None:
        st.error(f"{title} failed: {lane.error}")
    elif final is not None:
        mark = ":material/check_circle:" if final.terminated else ":material/stop_circle:"
        st.caption(f"{mark} {title} stopped at step {final.step}: {final.stop_reason}")
    elif lane.live.started:
        st.caption(f"{title}: step {lane.live.step}, round {lane.live.last.round}")


def _timeline(ctl: LockstepController) -> None:
    """A slider over the shared timeline at the shown step; dragging it seeks (and pauses a running play)."""
    timeline_slider(ctl, ctl.timeline, "Timeline: every method at optimiser step", TIMELINE_KEY, ECHO_KEY,
                    help="Drag to any recorded step (a running play pauses): each map shows its method at that "
                         "step, or its last frame if it stopped earlier. Replay plays them all from step 0.")
