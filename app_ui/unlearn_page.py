"""The Unlearn page: the live run, its map and curves, and its results.

    render_unlearn()      # pages/unlearn.py calls this

Per session (st.session_state[STATE_KEY]) a RunState holds the LiveRun (the engine's generator and
what it recorded) and the controls' status. While running, the live view is an st.fragment with
run_every = 1/fps: each tick steps the engine for one frame period, then draws the newest frame, so the
engine works nearly all the time and the page still answers clicks between ticks. Pause sets run_every
to None. Changing a setting or pressing Reset drops the run (the generator and its model copy).
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, replace

import streamlit as st

from unlearn_core import UserInputError
from unlearn_core.metrics import METRIC_LABELS

from .app_config import AppConfig, ViewConfig
from .background import Job
from .job_progress import wait_for_job
from .figures import map_figure
from .hover_images import show_hover_images
from .live_run import LiveRun, PreparedMap
from .presets import load_presets, matching_preset, preset_by_id
from .resources import prepare_job, reference_job, retry_prepare
from .results import curves_csv, figures_html, metrics_table, report_json
from .sidebar import apply_config, current_config

STATE_KEY = "unlearn_run"
AUTORUN_KEY = "unlearn_autorun"        # set by the landing page: start running as soon as the model is ready
TIMELINE_KEY = "unlearn_timeline"     # + the run state's timeline epoch


@dataclass
class RunState:
    cfg: AppConfig                    # the configuration the run was started with
    prepared: PreparedMap             # the shared data, original model and map it runs on
    run: LiveRun
    status: str = "idle"              # idle | running | paused | stopped
    pending_steps: int = 0            # Step presses not yet carried out
    error: str | None = None          # why the run failed, when it did
    timeline_epoch: int = 0           # a new timeline slider (at the newest frame) each time the run halts


# ---- controls (callbacks: they run before the script, so the page draws the new state at once) --------
def _state() -> RunState:
    return st.session_state[STATE_KEY]


def _on_run() -> None:
    _state().status = "running"


def _on_pause() -> None:
    _halt("paused")


def _on_step() -> None:
    _state().pending_steps += 1
    _halt("paused")


def _halt(status: str) -> None:
    # The timeline slider is a new widget each time the run halts: it starts at the newest frame, and no
    # value the browser still holds from an earlier slider can move it (live ticks race the browser).
    state = _state()
    state.status = status
    state.timeline_epoch += 1


def _on_reset() -> None:
    state = _state()
    state.run.close()
    st.session_state[STATE_KEY] = _new_state(state.cfg, state.prepared, state)


def _on_preset(preset_id: str) -> None:
    apply_config(preset_by_id(preset_id).apply(current_config()))


def _new_state(cfg: AppConfig, prepared: PreparedMap, old: RunState | None) -> RunState:
    return RunState(cfg, prepared, LiveRun(prepared, cfg.experiment()),
                    timeline_epoch=old.timeline_epoch + 1 if old is not None else 0)


# ---- the page ---------------------------------------------------------------------------------------
def render_unlearn() -> None:
    cfg = current_config()
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
    _facts(state, prepared)
    _controls(state)
    _live_view(cfg)
    if state.status == "stopped" and state.run.final is not None:
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
        col.button(preset.title, key=f"preset_{preset.id}", on_click=_on_preset, args=(preset.id,),
                   width="stretch", help=preset.story)
    current = matching_preset(cfg)
    if current is not None:
        st.info(f"**{current.title}.** {current.story}")


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
    # The frame rate does not change the run: a changed fps keeps it.
    view_only = lambda c: replace(c, view=replace(c.view, fps=ViewConfig.fps))  # noqa: E731
    if state is None or view_only(state.cfg) != view_only(cfg) or state.prepared is not prepared:
        if state is not None:
            state.run.close()
            if state.run.started:
                st.toast("Settings changed: the run was reset.")
        state = _new_state(cfg, prepared, state)
        st.session_state[STATE_KEY] = state
    state.cfg = cfg
    if st.session_state.pop(AUTORUN_KEY, False) and state.status == "idle":
        state.status = "running"
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


def _controls(state: RunState) -> None:
    running, stopped = state.status == "running", state.status == "stopped"
    cols = st.columns([1, 1, 1, 5])
    cols[0].button("Reset", key="btn_reset", on_click=_on_reset, width="stretch",
                   help="Back to the original model (step 0).")
    if running:
        cols[1].button("Pause", key="btn_pause", on_click=_on_pause, type="primary", width="stretch")
    else:
        cols[1].button("Run", key="btn_run", on_click=_on_run, type="primary", disabled=stopped,
                       width="stretch", help="Unlearn live until the termination test fires.")
    cols[2].button("Step", key="btn_step", on_click=_on_step, disabled=running or stopped, width="stretch",
                   help="One optimiser step, then pause.")


def _live_view(cfg: AppConfig) -> None:
    state = _state()
    every = 1.0 / cfg.view.fps if state.status == "running" else None

    @st.fragment(run_every=every)
    def live() -> None:
        state = _state()
        try:
            if state.status == "running":
                state.run.advance(budget_s=1.0 / state.cfg.view.fps)
            elif state.pending_steps:
                steps, state.pending_steps = state.pending_steps, 0
                state.run.advance(max_updates=steps)
        except UserInputError as err:
            state.error, state.status = str(err), "stopped"
        except Exception:  # a failing run must not take the page down; show it and stop
            state.error, state.status = traceback.format_exc(), "stopped"
        if state.run.final is not None and state.status != "stopped":
            _halt("stopped")
            st.rerun(scope="app")     # the whole page changes: buttons, results, downloads
        _draw(state)

    live()


def _draw(state: RunState) -> None:
    run = state.run
    if state.error is not None:
        st.error("The run failed: " + state.error.strip().splitlines()[-1])
        with st.expander("Details"):
            st.code(state.error)
    if not run.frames:
        st.info("The map shows the probe samples as the original model embeds them. Press **Run** to unlearn "
                "live, or **Step** to go one optimiser step at a time, and watch them move.")
        st.plotly_chart(map_figure(state.prepared.preview()), width="stretch", key="map_chart")
        return
    final, last = run.final, run.last
    status = {"running": "running", "paused": "paused", "stopped": "stopped", "idle": "ready"}[state.status]
    st.markdown(f"**Step {last.step}** · round {last.round} · {last.seconds:.2f} s of unlearning · {status}")
    if final is not None:
        (st.success if final.terminated else st.warning)(f"Stopped at step {final.step}: {final.stop_reason}")

    steps = [f.step for f in run.frames]
    shown = steps[-1]
    if state.status == "running":
        st.caption("Timeline: pause to scrub back through the recorded map frames.")
    elif len(steps) > 1:
        shown = st.select_slider("Timeline: map frame at step", options=steps, value=steps[-1],
                                 key=f"{TIMELINE_KEY}_{state.timeline_epoch}",
                                 help="Scrub back through the recorded map frames; the curves mark the frame's step.")
    map_fig, accuracy_fig, loss_fig = run.figures(run.frame_index_at(shown), live=state.status == "running")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(map_fig, width="stretch", key="map_chart")
    with right:
        st.plotly_chart(accuracy_fig, width="stretch", key="accuracy_chart")
        st.plotly_chart(loss_fig, width="stretch", key="loss_chart")


def _results(state: RunState, prepared: PreparedMap, cfg: AppConfig) -> None:
    final = state.run.final
    job = reference_job(cfg.prep_key(), prepared.prep)
    st.subheader("Results")
    if final.metrics is None:
        return
    reference = job.result if job.ok else None
    table = metrics_table(final.metrics, reference.original_metrics if reference else None,
                          reference.retrain_metrics if reference else None, cfg.forget.mode).dropna(axis=1, how="all")
    percent = lambda label, help_text: st.column_config.NumberColumn(label, format="%.2f", help=help_text)  # noqa: E731
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "original": percent("original %", "The model before unlearning."),
        "unlearned": percent("unlearned %", "After this run."),
        "retrain": percent("retrain %", "Retrained from scratch without the forget set: the target."),
        "gap to retrain": percent("gap (points)", "|unlearned − retrain|, in percentage points"),
        "in Avg. Gap": st.column_config.CheckboxColumn("in Avg. Gap", width="small"),
        "meaning": st.column_config.TextColumn("what it means, and which way is good", width="large")})
    st.caption("MIA member rate (the paper's convention): " + METRIC_LABELS["mia_member_rate"].split(": ", 1)[1] +
               ". MIA-efficacy (SalUn's convention, its complement): " +
               METRIC_LABELS["mia_efficacy"].split(": ", 1)[1] + ". Both are shares of the forget set D^u_tr.")
    if reference is not None:
        retrain_s = reference.retrain.seconds
        source = "read from the cache, measured when it was trained" if reference.retrain.from_cache else "measured now"
        speedup = f"{retrain_s / final.seconds:.1f}x faster" if final.seconds > 0 else "n/a"
        st.markdown(f"**Time:** unlearning {final.seconds:.2f} s ({final.step} steps, evaluations included) · "
                    f"retrain {retrain_s:.2f} s ({source}) · speed-up **{speedup}**")
    elif job.done:
        st.error(f"The retrain reference failed: {job.error or job.failure.strip().splitlines()[-1]}")
    else:
        st.caption("The original and retrain columns fill in when the retrain reference is ready "
                   "(it runs in the background; it is cached for next time).")
        wait_for_job(job, "Retrain reference")


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
