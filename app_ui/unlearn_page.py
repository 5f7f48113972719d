"""The Unlearn page: the live run, its map and curves, and its results.

    render_unlearn()      # pages/unlearn.py calls this

Per session (st.session_state[STATE_KEY]) a RunState holds the configuration and a RunController (a plain
state machine around the LiveRun: idle / running / paused / stopped, Run, Pause, Step, Reset, Seek,
Replay). This page only draws the controller's state and forwards clicks to it: run_controls.py draws the
buttons and the speed, live_view.py the ticking fragment, the timeline and the figures. Changing a
setting drops the run (the generator and its model copy); the speed and the frame rate do not.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from unlearn_core import UserInputError

from .app_config import AppConfig
from .background import Job
from .classroom import Presentation, present_href, render_present_header
from .job_progress import wait_for_job
from .hover_images import show_hover_images
from .live_run import LiveRun, PreparedMap
from .live_view import render_live_view
from .preset_cost import preset_cost_text
from .presets import load_presets, matching_preset, preset_by_id
from .resources import prepare_job, reference_job, retry_prepare
from .retrain_target import retrain_target
from .results import curves_csv, figures_html, report_json
from .results_view import render_results
from .run_controller import RunController, Status
from .run_controls import render_controls, session_speed
from .sidebar import apply_config, current_config

STATE_KEY = "unlearn_run"
AUTORUN_KEY = "unlearn_autorun"        # set by the landing page: start running as soon as the model is ready


@dataclass
class RunState:
    cfg: AppConfig                    # the configuration the run was started with
    prepared: PreparedMap             # the shared data, original model and map it runs on
    controller: RunController
    retrain_measures: dict | None = None      # the retrain's leaving-the-cluster numbers on this map's probe set

    @property
    def run(self) -> LiveRun:
        return self.controller.live

    @property
    def status(self) -> Status:
        return self.controller.status


def _state() -> RunState:
    return st.session_state[STATE_KEY]


def _on_preset(preset_id: str) -> None:
    apply_config(preset_by_id(preset_id).apply(current_config()))


def _new_state(cfg: AppConfig, prepared: PreparedMap) -> RunState:
    exp = cfg.experiment()
    return RunState(cfg, prepared, RunController(lambda: LiveRun(prepared, exp), fps=cfg.view.fps,
                                                 speed=session_speed(), wait_for_draw=True))


# ---- the page ---------------------------------------------------------------------------------------
def render_unlearn() -> None:
    cfg = current_config()
    look = Presentation.of(cfg)
    if look.present:
        render_present_header(cfg)          # classroom mode: no preset buttons, no settings
    else:
        _preset_bar(cfg)
    try:
        cfg.validate()
        cfg.experiment()          # reads the training recipe (UNLEARN_TRAIN_EPOCHS must parse)
    except UserInputError as err:
        st.error(str(err))
        st.stop()

    job = prepare_job(cfg.prep_key(), cfg.view.points)
    if not job.done:
        wait_for_job(job, "Preparing")
        st.stop()
    if not job.ok:
        _show_failure(job, cfg)
        st.stop()
    prepared: PreparedMap = job.result
    state = _ensure_state(cfg, prepared)

    show_hover_images(prepared.thumbnails)
    if not look.present:
        _facts(state, prepared)
    render_controls(state.controller)
    render_live_view(lambda: _state().controller, prepared.preview, look, _retrain_measures(state, cfg))
    if state.status is Status.STOPPED and state.run.final is not None:
        _results(state, prepared, cfg)
    _downloads(state, prepared, cfg)
    with st.expander("What the map shows", expanded=False):
        st.markdown(MAP_EXPLAINER.format(points=len(prepared.prep.split.probe),
                                         forget=int(prepared.prep.split.probe_is_forget.sum()),
                                         k=prepared.projection.settings.k))


def _preset_bar(cfg: AppConfig) -> None:
    presets = load_presets()
    cols = st.columns(len(presets))
    for col, preset in zip(cols, presets):
        cost = preset_cost_text(preset, cfg)      # said before the click: a first visit may train for hours
        col.button(preset.title, key=f"preset_{preset.id}", on_click=_on_preset, args=(preset.id,),
                   width="stretch", help=preset.story + (f"\n\n{cost}" if cost else ""))
    current = matching_preset(cfg)
    if current is not None:
        cost = preset_cost_text(current, cfg)
        st.info(f"**{current.title}.** {current.story}" + (f"\n\n{cost}" if cost else "")
                + f"\n\n[Present it (classroom mode, a new tab)]({present_href(cfg)})")


def _show_failure(job: Job, cfg: AppConfig) -> None:
    if job.error is not None:
        st.error(job.error)
        if "fetch them with" in job.error or "put the images under" in job.error:
            st.info("This dataset's files are not on this machine. Run the command above once (it downloads "
                    "into the data folder), or pick **digits** in the sidebar: it works offline.")
    else:
        st.error("Preparing the experiment failed unexpectedly (a bug, not your settings).")
        with st.expander("Details"):
            st.code(job.failure)
    st.button("Try again", on_click=retry_prepare, args=(cfg.prep_key(), cfg.view.points))


def _ensure_state(cfg: AppConfig, prepared: PreparedMap) -> RunState:
    """The session's run for this configuration; a different configuration drops the old run."""
    state: RunState | None = st.session_state.get(STATE_KEY)
    # How a run is drawn (frame rate, trails, classroom mode) does not change it: a change there keeps it.
    view_only = lambda c: replace(c, view=c.view.for_the_run())  # noqa: E731
    if state is None or view_only(state.cfg) != view_only(cfg) or state.prepared is not prepared:
        if state is not None:
            state.controller.close()
            if state.run.started:
                st.toast("Settings changed: the run was reset.")
        state = _new_state(cfg, prepared)
        st.session_state[STATE_KEY] = state
    state.cfg = cfg
    state.controller.fps = cfg.view.fps
    if st.session_state.pop(AUTORUN_KEY, False) and state.status is Status.IDLE:
        state.controller.run()
    return state


def _facts(state: RunState, prepared: PreparedMap) -> None:
    prep, split = prepared.prep, prepared.prep.split
    what = (f"class {prep.data.class_names[split.forget_class]}" if split.mode == "class"
            else f"{len(split.forget_train)} samples")
    source = "read from the cache" if prep.original.from_cache else "trained just now"
    st.caption(f"{prep.exp.data.dataset} · {prep.exp.model.name} · forgetting {what} "
               f"({len(split.forget_train)} of {len(prep.data.train_y)} training samples) · map: "
               f"{len(split.probe)} samples, {int(split.probe_is_forget.sum())} of them forget samples · original "
               f"model: {prep.original.seconds:.1f} s of training, {source} · device {prep.device}")


def _retrain_measures(state: RunState, cfg: AppConfig) -> dict | None:
    """The curves' target, once the run stopped and the retrain reference is ready (asking for it earlier
    would start a retraining that may take minutes while the class watches the run)."""
    if state.retrain_measures is None and state.run.final is not None:
        job = reference_job(cfg.prep_key(), state.prepared.prep)
        if job.ok:
            state.retrain_measures = retrain_target(state.prepared, job.result.retrain.model).measures
    return state.retrain_measures


def _results(state: RunState, prepared: PreparedMap, cfg: AppConfig) -> None:
    render_results(state.run, reference_job(cfg.prep_key(), prepared.prep), cfg.forget.mode)


def _downloads(state: RunState, prepared: PreparedMap, cfg: AppConfig) -> None:
    run = state.run
    if not run.frames:
        return
    name = f"unlearn-{cfg.data.dataset}-{cfg.forget.mode}-seed{cfg.forget.seed}-step{run.step}"
    cols = st.columns(3)
    job = reference_job(cfg.prep_key(), prepared.prep) if run.final is not None else None
    ready = job is not None and job.ok
    cols[0].download_button("Run (JSON)", data=(lambda: report_json(run, job.result, cfg)) if ready else "",
                            file_name=f"{name}.json", mime="application/json", disabled=not ready,
                            on_click="ignore", key="dl_json",
                            help="The CLI's report: configuration, metrics of original / unlearned / retrain, "
                                 "history. Available when the run has stopped and the retrain reference is ready.")
    cols[1].download_button("Curves (CSV)", data=lambda: curves_csv(run), file_name=f"{name}.csv", mime="text/csv",
                            on_click="ignore", key="dl_csv", help="One row per step: losses, eval accuracies, "
                                                                  "termination test.")
    cols[2].download_button("Figures (HTML)", data=lambda: figures_html(run, prepared.thumbnails),
                            file_name=f"{name}.html", mime="text/html", on_click="ignore", key="dl_html",
                            help="One self-contained page: the map animated over the run, the curves; "
                                 "works offline.")


MAP_EXPLAINER = """
The map is a **UMAP layout of the original model's embeddings** of {points} training samples (fitted once,
{forget} of them from the forget set). Every frame places each sample at the similarity-weighted mean of the
map positions of its {k} most similar *original* embeddings, after rotating the frame's embeddings onto the
original space with the rotation that best superimposes the remaining samples (orthogonal Procrustes). So:

- coordinates are stable, and a point moves only when its embedding moves relative to the others;
- a forget sample that lands in another class's cluster now *resembles* that class to the encoder;
- faded dots are remaining samples, coloured by their true class; diamonds are forget samples, coloured by the
  class the model now **predicts**, with a grey trail from where they started (hollow circles).

Why not UMAP's own `transform()` on every frame: on a 2-core CPU it took 1.7 s for 1,000 points, where the
alignment and placement take about 16 ms (`python -m bench.app_frame`). Hover a point to see its image, its true
label and the predicted label with its probability.
"""
