"""The Side by side page: two to four methods unlearn the same forget set from the same original model, in
lockstep, each on its own copy of one shared map (the paper's Figure 1, live).

    render_side_by_side()      # pages/side_by_side.py calls this

Per session (st.session_state[STATE_KEY]) a SideBySideState holds the configuration, the chosen methods and
a LockstepController (app_ui/lockstep.py: one LiveRun per method, the same optimiser step for all, one
timeline). The controls are the Unlearn page's (run_controls.py); side_by_side_view.py draws the ticking
maps and curves. Each method runs with the configuration the Compare page gives it (compare_page.method_plan:
contrastive with the sidebar's hyperparameters, every baseline with its paper's defaults adapted to the
dataset, all from the sidebar's seed), recording a map frame every `frame_every` steps. Changing a setting
or the methods starts afresh; the speed and the frame rate do not.

The retrain target (the retrain model's forget samples on the same map) comes from the shared retrain
reference (resources.reference_job), trained in the background while the methods run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import streamlit as st

from unlearn_core import Experiment, UserInputError
from unlearn_core.baselines import METHOD_TITLES

from .app_config import AppConfig, ViewConfig
from .background import Job
from .compare_page import FIGURE_1, choose_methods, method_plan, prepared_map_or_stop, valid_config_or_stop
from .figures import map_key_html
from .hover_images import show_hover_images
from .job_progress import wait_for_job
from .live_run import LiveRun, PreparedMap
from .lockstep import LockstepController
from .resources import reference_job
from .retrain_target import RetrainTarget, retrain_target
from .run_controls import render_controls, session_speed
from .side_by_side_view import render_side_by_side_view

log = logging.getLogger(__name__)

STATE_KEY = "side_by_side.state"
METHODS_KEY = "side_by_side.methods"
TARGET_KEY = "side_by_side.show_target"
MIN_METHODS, MAX_METHODS = 2, 4


def method_experiments(cfg: AppConfig, methods: list[str]) -> dict[str, Experiment]:
    """Each method's experiment: the Compare page's configuration for it, recording map frames as the
    sidebar says (Compare records only the first and the last)."""
    exp = cfg.experiment()
    return {method: replace(exp, method=method, unlearn=replace(method_cfg, probe_every=cfg.view.frame_every))
            for method, method_cfg in method_plan(cfg, methods)}


@dataclass
class SideBySideState:
    cfg: AppConfig                          # the configuration the runs were started with
    methods: tuple[str, ...]
    prepared: PreparedMap
    controller: LockstepController
    target: RetrainTarget | None = None     # computed once the retrain reference is ready
    target_error: str | None = None


def _state() -> SideBySideState:
    return st.session_state[STATE_KEY]


# ---- the page ---------------------------------------------------------------------------------------
def render_side_by_side() -> None:
    cfg, prep_key = valid_config_or_stop()

    methods = _choose_methods()
    if not MIN_METHODS <= len(methods) <= MAX_METHODS:
        st.info(f"Choose {MIN_METHODS} to {MAX_METHODS} methods to run side by side (the paper's Figure 1: "
                f"{', '.join(METHOD_TITLES[m] for m in FIGURE_1)}).")
        st.stop()

    prepared = prepared_map_or_stop(prep_key, cfg.view.points)
    try:
        state = _ensure_state(cfg, tuple(methods), prepared)
    except UserInputError as err:          # a method's configuration the engine refuses
        st.error(f"These methods cannot run on these settings: {err}")
        st.stop()

    show_hover_images(prepared.thumbnails)
    _facts(prepared)
    render_controls(state.controller)
    show_target = st.checkbox("Show where retraining puts the forget samples (stars: the retrain model's "
                              "embeddings of them, on the same map)", value=True, key=TARGET_KEY)
    ref_job = reference_job(prep_key, prepared.prep) if show_target else None
    if ref_job is not None:
        _target_progress(ref_job)
    # One key for every map (theirs hide their plotly legends: three copies would take a third of the page).
    st.html(map_key_html(prepared.preview()))
    if show_target:
        st.caption("★ stars: where the retrain model (trained without the forget set) puts the same forget "
                   "samples, coloured by the class it predicts: the target.")
    render_side_by_side_view(lambda: _state().controller, prepared,
                             lambda: _target(_state(), ref_job) if ref_job is not None else None)
    with st.expander("What the maps show", expanded=False):
        st.markdown(MAPS_EXPLAINER)


def _choose_methods() -> list[str]:
    return choose_methods(
        METHODS_KEY, max_selections=MAX_METHODS,
        help="Two to four. Contrastive runs with the sidebar's hyperparameters; each baseline with its paper's "
             "defaults, adapted to the dataset (docs/COMPARE.md). All start from the same original model, "
             "forget the same set and stop by their own rule.")


def _ensure_state(cfg: AppConfig, methods: tuple[str, ...], prepared: PreparedMap) -> SideBySideState:
    """The session's runs for this configuration and these methods; anything else starts afresh."""
    state: SideBySideState | None = st.session_state.get(STATE_KEY)
    view_only = lambda c: replace(c, view=replace(c.view, fps=ViewConfig.fps))  # noqa: E731
    if (state is None or view_only(state.cfg) != view_only(cfg) or state.methods != methods
            or state.prepared is not prepared):
        if state is not None:
            state.controller.close()
            if any(lane.live.started for lane in state.controller.lanes.values()):
                st.toast("Settings or methods changed: the runs were reset.")
        new_runs = {method: (lambda exp=exp: LiveRun(prepared, exp))
                    for method, exp in method_experiments(cfg, list(methods)).items()}
        controller = LockstepController(new_runs, fps=cfg.view.fps, speed=session_speed(), wait_for_draw=True)
        state = SideBySideState(cfg, methods, prepared, controller)
        st.session_state[STATE_KEY] = state
    state.cfg = cfg
    state.controller.fps = cfg.view.fps
    return state


def _facts(prepared: PreparedMap) -> None:
    prep, split = prepared.prep, prepared.prep.split
    what = (f"class {prep.data.class_names[split.forget_class]}" if split.mode == "class"
            else f"{len(split.forget_train)} samples")
    st.caption(f"{prep.exp.data.dataset} · {prep.exp.model.name} · forgetting {what} · one shared map of "
               f"{len(split.probe)} samples ({int(split.probe_is_forget.sum())} of them forget samples), the original "
               f"model's UMAP layout · every method advances the same number of optimiser steps per frame")


def _target_progress(ref_job: Job) -> None:
    if not ref_job.done:
        wait_for_job(ref_job, "Retrain target")     # reruns the page when the reference is ready
    elif not ref_job.ok:
        st.warning(f"The retrain target is not available: {ref_job.error or 'the retrain reference failed'}. "
                   "The methods run without it.")


def _target(state: SideBySideState, ref_job: Job) -> RetrainTarget | None:
    """The retrain target for this state's map, computed once, when the reference is ready."""
    if state.target is None and state.target_error is None and ref_job.done and ref_job.ok:
        try:
            state.target = retrain_target(state.prepared, ref_job.result.retrain.model)
        except Exception as err:  # the maps must still draw: say why the stars are missing, once
            log.exception("placing the retrain target failed")
            state.target_error = f"{type(err).__name__}: {err}".splitlines()[0]
    if state.target_error is not None:
        st.warning(f"The retrain target could not be placed: {state.target_error}")
    return state.target


MAPS_EXPLAINER = """
Every map is the same **UMAP layout of the original model's embeddings** (the Unlearn page's "What the map
shows" tells how each frame is placed on it), so a position means the same on all of them.

- faded dots: remaining samples, coloured by their true class;
- diamonds: forget samples, coloured by the class the method's model now **predicts**, with a grey trail from
  where the original model put them (hollow circles);
- stars: where the **retrain model** (trained without the forget set) puts the same forget samples, coloured
  by the class it predicts. A method that moves the diamonds onto the stars forgets as retraining would.

The methods take optimiser steps in lockstep: at every step of the timeline each map shows its method after
that many updates. A method stops by its own rule (the termination test, a budget, or its round cap) and its
map then holds its last frame while the others go on.
"""
