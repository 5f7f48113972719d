"""The Side by side page: two to four methods unlearn the same forget set from the same original model,
each a shared Recording, played together on one timeline by the same player as the Unlearn page (the
paper's Figure 1, live).

    render_side_by_side()      # pages/side_by_side.py calls this

Each method runs with the configuration the Compare page gives it (compare_page.method_plan: contrastive
with the sidebar's hyperparameters, every baseline with its paper's defaults adapted to the dataset, all
from the sidebar's seed), recording a map frame every `frame_every` steps. The engine computes each
recording at its own pace; the player shows every method at the same optimiser step, and a method that
stopped earlier holds its last frame. How the maps are drawn (trails, classroom mode) never restarts them.

The retrain target (the retrain model's forget samples on the same map, the stars) comes from the shared
retrain reference (jobs.resources.reference_job), trained in the background while the methods run.
"""
from __future__ import annotations

import logging
from dataclasses import replace

import streamlit as st

from unlearn_core import Experiment, UserInputError
from unlearn_core.baselines import METHOD_TITLES

from .app_config import AppConfig
from .classroom import Presentation
from .compare_page import FIGURE_1, choose_methods, method_plan, prepared_map_or_stop, valid_config_or_stop
from .jobs.background import Job
from .jobs.progress import wait_for_job
from .jobs.resources import reference_job, retry_reference
from .live.payload import Lane
from .live.player import render_player
from .live.prepared_map import PreparedMap
from .live.recording import RECORDINGS
from .live.retrain_target import RetrainTarget, retrain_target

log = logging.getLogger(__name__)

PLAYER_KEY = "side_by_side.player"
METHODS_KEY = "side_by_side.methods"
TARGET_KEY = "side_by_side.show_target"
TARGETS_KEY = "side_by_side.retrain_targets"   # per session: {id(prepared): RetrainTarget or the error}
MIN_METHODS, MAX_METHODS = 2, 4


def method_experiments(cfg: AppConfig, methods: list[str]) -> dict[str, Experiment]:
    """Each method's experiment: the Compare page's configuration for it, recording map frames as the
    sidebar says (Compare records only the first and the last)."""
    exp = cfg.experiment()
    return {method: replace(exp, method=method, unlearn=replace(method_cfg, probe_every=cfg.view.frame_every))
            for method, method_cfg in method_plan(cfg, methods)}


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
        lanes = [Lane(RECORDINGS.get(prepared, exp), METHOD_TITLES.get(m, m), m)
                 for m, exp in method_experiments(cfg, methods).items()]
    except UserInputError as err:          # a method's configuration the engine refuses
        st.error(f"These methods cannot run on these settings: {err}")
        st.stop()

    _facts(prepared)
    show_target = st.checkbox("Show where retraining puts the forget samples (stars: the retrain model's "
                              "embeddings of them, on the same map, coloured by the class it predicts: the target)",
                              value=True, key=TARGET_KEY)
    ref_job = reference_job(prep_key, prepared.prep) if show_target else None
    # One container, always there: when the progress inside it goes, the player below keeps its place on the
    # page (a moved element is remounted, and a remounted player starts over at step 0, paused).
    with st.container():
        if ref_job is not None:
            _target_progress(ref_job)
    render_player(PLAYER_KEY, prepared, lanes, Presentation.of(cfg),
                  get_target=lambda: _target(prepared, ref_job) if ref_job is not None else None)
    with st.expander("What the maps show", expanded=False):
        st.markdown(MAPS_EXPLAINER)


def _choose_methods() -> list[str]:
    return choose_methods(
        METHODS_KEY, max_selections=MAX_METHODS,
        help="Two to four. Contrastive runs with the sidebar's hyperparameters; each baseline with its paper's "
             "defaults, adapted to the dataset (docs/COMPARE.md). All start from the same original model, "
             "forget the same set and stop by their own rule.")


def _facts(prepared: PreparedMap) -> None:
    prep, split = prepared.prep, prepared.prep.split
    what = (f"class {prep.data.class_names[split.forget_class]}" if split.mode == "class"
            else f"{len(split.forget_train)} samples")
    st.caption(f"{prep.exp.data.dataset} · {prep.exp.model.name} · forgetting {what} · one shared map of "
               f"{len(split.probe)} samples ({int(split.probe_is_forget.sum())} of them forget samples), the original "
               f"model's UMAP layout · every map shows its method at the same optimiser step")


def _target_progress(ref_job: Job) -> None:
    if not ref_job.done:
        wait_for_job(ref_job, "Retrain target")     # reruns the page when the reference is ready
    elif not ref_job.ok:
        st.warning(f"The retrain target is not available: {ref_job.why_not_ok}. "
                   "The methods run without it.")
        st.button("Try again", key="side_by_side.reference_retry", on_click=retry_reference, args=(ref_job,),
                  help="Retrain the reference (for every session waiting for it); the runs go on.")


def _target(prepared: PreparedMap, ref_job: Job) -> RetrainTarget | None:
    """The retrain target for this map, computed once per session when the reference is ready."""
    targets = st.session_state.setdefault(TARGETS_KEY, {})
    if id(prepared) not in targets and ref_job.done and ref_job.ok:
        try:
            targets[id(prepared)] = retrain_target(prepared, ref_job.result.retrain.model)
        except Exception as err:  # the maps must still draw: say why the stars are missing
            log.exception("placing the retrain target failed")
            targets[id(prepared)] = f"{type(err).__name__}: {err}".splitlines()[0]
    held = targets.get(id(prepared))
    if isinstance(held, str):
        st.warning(f"The retrain target could not be placed: {held}")
        return None
    return held


MAPS_EXPLAINER = """
Every map is the same **UMAP layout of the original model's embeddings** (the Unlearn page's "What the map
shows" tells how each frame is placed on it), so a position means the same on all of them.

- faded dots: remaining samples, coloured by their true class;
- diamonds: forget samples, coloured by the class the method's model now **predicts**, with a grey trail from
  where the original model put them (hollow circles);
- stars: where the **retrain model** (trained without the forget set) puts the same forget samples, coloured
  by the class it predicts. A method that moves the diamonds onto the stars forgets as retraining would.

Every method's run is computed by the engine at its own pace and recorded; the player shows each map at the
same optimiser step of the shared timeline. A method stops by its own rule (the termination test, a budget, or its round cap) and its
map then holds its last frame while the others go on.
"""
