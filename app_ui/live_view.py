"""The Unlearn page's live view: a fragment that ticks the run controller and draws the shown frame.

    render_live_view(get_controller, preview, look)   # get_controller() -> the session's RunController, now;
                                                      # look: classroom.Presentation (sizes, trails, story)

While the controller is ticking (running or replaying) the fragment reruns every `pace.tick_seconds`
(st.fragment(run_every=...)) and each rerun is one tick: a fixed number of optimiser steps (or of
recorded steps, replaying). When a tick changes whether there is work for the next one (the run stopped,
a replay ended, the timeline was dragged), the whole page reruns, which redraws the buttons and switches
run_every. Points glide from frame to frame (plotly's layout.transition, which Plotly.react animates in the
one plot that live_chart.py keeps per chart), and the charts never fade while a tick runs: Streamlit dims
elements that a rerun has not redrawn yet, which during a live run is always, so the page's CSS keeps them
at full opacity. A guard (fragment_guard.py) reruns the whole page if the fragment's runs stop coming while
it should tick: Streamlit can lose a run_every timer under load, which left pages standing still.
"""
from __future__ import annotations

from typing import Callable

import plotly.graph_objects as go
import streamlit as st

from .classroom import Presentation, render_captions
from .cluster_curves import EXPLAINER, leaving_cluster_figure
from .figures import MapFrame, map_figure, map_key_html
from .fragment_guard import fragment_beat, guard_fragment
from .live_chart import show_chart
from .playback import Playback
from .point_details import MAP_KEY, mark_clicked_point, remember_clicked_point, render_point_details
from .run_controller import RunController, Status
from .timeline_echo import TimelineEcho

TIMELINE_KEY = "unlearn_timeline"
ECHO_KEY = "unlearn_timeline_echo"      # the timeline's TimelineEcho
LIVE_FRAGMENT = "live_view"             # the ticking fragment's name for its guard (fragment_guard.py)
# Streamlit marks an element container data-stale while a rerun has not reached it; its own style fades
# it to a third. A live view is mid-rerun most of the time, so that fade read as a flickering grey page.
NO_FADE_CSS = """<style>
.stElementContainer[data-stale="true"] { opacity: 1 !important; transition: none !important; }
</style>"""
GLIDE_MAX_MS = 400            # the transition between frames; shorter than a tick so a glide ends before the next


def render_live_view(get_controller: Callable[[], RunController], preview: Callable[[], MapFrame],
                     look: Presentation = Presentation(), target: dict | None = None) -> None:
    """target: the retrain model's leaving-the-cluster numbers, drawn as the curves' target once known."""
    render_ticking(get_controller, lambda ctl: _draw(ctl, preview, look, target))


def render_ticking(get_controller: Callable[[], Playback], draw: Callable[[Playback], None]) -> None:
    """The fragment that ticks the controller and then draws it, rerun every pace.tick_seconds while the
    controller is ticking (the module's docstring says why). The Unlearn and Side by side pages' live views."""
    st.html(NO_FADE_CSS)
    declared = get_controller()
    ticking = declared.ticking
    every = declared.pace.tick_seconds if ticking else None
    guard_fragment(LIVE_FRAGMENT, every)      # a lost run_every timer would leave the page standing still

    @st.fragment(run_every=every)
    def live() -> None:
        ctl = get_controller()            # the session's controller now (a Reset may have replaced it)
        ctl.tick()
        if ctl.ticking != ticking:
            st.rerun(scope="app")         # buttons and run_every follow the new state
        draw(ctl)
        ctl.drawn()                       # reached only when the whole frame was handed to the browser
        fragment_beat(LIVE_FRAGMENT)      # a finished run, for the guard

    live()


def _draw(ctl: RunController, preview: Callable[[], MapFrame], look: Presentation, target: dict | None) -> None:
    # The same slots before, during and after a run: a chart's plot lives as long as its place on the page
    # (live_chart.py), so the map keeps one plot from the preview on, and its points glide from step 0.
    head = st.container()                  # messages, the status, the timeline: how many varies
    left, right = st.columns([3, 2])
    beside, charts = right.container(), right.container()    # the curves keep their place below the captions
    run = ctl.live
    if ctl.error is not None:
        head.error(f"The run failed: {ctl.error}")
    if not run.frames:
        if not look.present:
            head.info("The map shows the probe samples as the original model embeds them. Press **Run** to unlearn "
                      "live, or **Step** to go one optimiser step at a time, and watch them move.")
        frame = preview()
        with beside:
            render_captions(look, run, None)
        with left:
            _clickable_map(map_figure(frame, look.style, look.trails), frame)
            st.html(map_key_html(frame, look.trails, look.key_px))
            render_point_details(frame, run.projection.reference, run.thumbnails)    # the original model's embeddings
        return
    index = ctl.shown_index
    with head:
        if not look.present:
            _status(ctl, look)
        _timeline(ctl)
    with beside:
        if look.present:       # the status goes beside the map, so that the map starts higher
            _status(ctl, look)
        render_captions(look, run, ctl.shown_step)
    map_fig, accuracy_fig, loss_fig = run.figures(index, live=ctl.ticking, style=look.style, trails=look.trails)
    glide(map_fig, ctl)
    with left:
        shown = run.map_frame(index, dense=False)         # the drawn frame's points (already placed)
        _clickable_map(map_fig, shown)
        st.html(map_key_html(shown, look.trails, look.key_px))
        render_point_details(shown, run.frames[index].embeddings, run.thumbnails)
    with charts:
        show_chart(accuracy_fig, key="accuracy_chart")
        show_chart(loss_fig, key="loss_chart")
        # What the map suggests, measured: did the forget samples leave their cluster (in the embeddings)?
        show_chart(leaving_cluster_figure({"this run": run.evaluated}, ctl.shown_step, target, font=look.style.font),
                   key="cluster_chart")
        st.caption(EXPLAINER)


def _status(ctl: RunController, look: Presentation) -> None:
    """The shown step, the run's state and, once it stopped, why (one short line in classroom mode)."""
    run = ctl.live
    final, last = run.final, run.last
    state = "replaying" if ctl.replaying else {Status.IDLE: "ready"}.get(ctl.status, ctl.status.value)
    # Green only for a clean stop: a run that passed the test while the utility guard tripped is a warning.
    clean = final is not None and final.terminated and not (final.utility_guard or {}).get("tripped")
    if look.present:         # one line: the full reason is in the results below; a banner would push the map down
        if final is not None and not ctl.replaying:
            state = f":{'green' if clean else 'orange'}[**stopped: {final.outcome.value}**]"
        st.markdown(f"**Step {last.step}** · round {last.round} · {last.seconds:.2f} s · {state}")
    else:
        st.markdown(f"**Step {last.step}** · round {last.round} · {last.seconds:.2f} s of unlearning · {state}")
        if final is not None:
            (st.success if clean else st.warning)(f"Stopped at step {final.step}: {final.stop_reason}")
    if ctl.diverged:
        st.info(f"The map keeps the last frame that has every point (step {ctl.shown_step}); the weights "
                f"were restored to step {final.step}. A smaller learning rate or λ, or a larger τ, stays finite.")


def _clickable_map(fig: go.Figure, frame: MapFrame) -> None:
    """The map; a click on a sample selects it for the panel under the map (point_details.py)."""
    mark_clicked_point(fig, frame)
    show_chart(fig, key=MAP_KEY, on_click=remember_clicked_point)


def _timeline(ctl: RunController) -> None:
    """A slider over the recorded frames' steps, at the shown frame; dragging it seeks (and pauses a run)."""
    timeline_slider(ctl, [f.step for f in ctl.live.frames], "Timeline: map frame at step", TIMELINE_KEY, ECHO_KEY,
                    help="Drag to any recorded step (a running run pauses); the curves mark the frame's step. "
                         "Replay plays them all again from step 0.")


def timeline_slider(ctl: Playback, steps: list[int], label: str, key: str, echo_key: str, help: str) -> None:
    """A slider over `steps` (drawn from two on) at the controller's shown step; dragging it seeks (and pauses
    a running run). The Unlearn and Side by side pages' timelines. key: the slider's; echo_key: where its
    TimelineEcho is kept."""
    if len(steps) < 2:
        return
    # The controller is the truth: the slider is set to the shown step before it is drawn, so a tick moves
    # the handle. What the browser sends back may be a value set ticks ago: TimelineEcho tells it from a drag.
    echo: TimelineEcho = st.session_state.setdefault(echo_key, TimelineEcho())
    echo.sent(ctl.shown_step)
    st.session_state[key] = ctl.shown_step
    st.select_slider(label, options=steps, key=key, on_change=_on_drag, args=(ctl, key, echo_key), help=help)


def _on_drag(ctl: Playback, key: str, echo_key: str) -> None:
    echo: TimelineEcho = st.session_state.setdefault(echo_key, TimelineEcho())
    step = st.session_state[key]
    if not echo.take_echo(step, playing=ctl.ticking):
        ctl.seek_step(step)


def glide(fig: go.Figure, ctl: Playback) -> None:
    """Animate the points from the previous frame to this one (Plotly.react honours layout.transition)."""
    ms = min(GLIDE_MAX_MS, int(800 * ctl.pace.tick_seconds))
    fig.update_layout(transition=dict(duration=ms, easing="cubic-in-out"))
