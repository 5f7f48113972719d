"""The Unlearn page's control row: Reset, Run/Pause, Step, Replay and the speed, forwarded to the controller.

    render_controls(ctl)          # ctl: the session's RunController (app_ui.run_controller), or a
                                  # LockstepController (app_ui.lockstep): the same commands and states

Every button is a callback on the controller: callbacks run before the script, so the page that follows
already draws the new state (and switches the live view's ticks on or off with it).
"""
from __future__ import annotations

import streamlit as st

from .run_controller import RunController, Speed, Status

SPEED_KEY = "unlearn_speed"           # the speed outlives a Reset and a changed setting (a session's choice)
DEFAULT_SPEED = Speed.X1


def session_speed() -> Speed:
    return Speed.from_label(st.session_state.get(SPEED_KEY, DEFAULT_SPEED.label))


def render_controls(ctl: RunController) -> None:
    running, stopped = ctl.status is Status.RUNNING, ctl.status is Status.STOPPED
    cols = st.columns([1, 1, 1, 1, 5], vertical_alignment="bottom")
    cols[0].button("Reset", key="btn_reset", on_click=ctl.reset, width="stretch",
                   help="Back to the original model (step 0).")
    if running:
        cols[1].button("Pause", key="btn_pause", on_click=ctl.pause, type="primary", width="stretch")
    else:
        cols[1].button("Run", key="btn_run", on_click=ctl.run, type="primary", disabled=stopped, width="stretch",
                       help="Unlearn live until the termination test fires.")
    cols[2].button("Step", key="btn_step", on_click=ctl.step, disabled=stopped, width="stretch",
                   help="Exactly one optimiser step, then pause.")
    if ctl.replaying:
        cols[3].button("Stop replay", key="btn_replay_stop", on_click=ctl.pause, width="stretch")
    else:
        cols[3].button("Replay", key="btn_replay", on_click=ctl.replay, disabled=not ctl.can_replay,
                       width="stretch", help="Play the recorded frames again from step 0 at the chosen speed.")
    st.session_state.setdefault(SPEED_KEY, ctl.speed.label)
    cols[4].radio("Speed", [s.label for s in Speed], key=SPEED_KEY, horizontal=True,
                  on_change=lambda: ctl.set_speed(session_speed()),
                  help="1x: one optimiser step per map frame at the frame rate set in the sidebar. Faster "
                       "speeds draw frames more often (and past 4 frames a second skip frames, which the "
                       "replay still has); 'as fast as possible' steps for up to a second between frames.")
