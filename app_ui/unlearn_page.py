"""The Unlearn page: the run's player (map and curves), then, once the run has stopped, its results.

    render_unlearn()      # pages/unlearn.py calls this

The run is a shared Recording (app_ui/live/recording.py): the engine computes it in the background at its
own pace, and the browser's player plays it (app_ui/live/player.py). Sessions with the same settings watch
the same recording; changing a setting shows that setting's recording; how it is drawn (trails, classroom
mode, the speed) never changes which.
"""
from __future__ import annotations

import streamlit as st

from unlearn_core import UserInputError

from .app_config import AppConfig
from .evidence_view import privacy_overlay, render_evidence
from .home_page import AUTORUN_KEY
from .classroom import Presentation, present_href, render_present_header
from .jobs.background import Job
from .jobs.progress import wait_for_job
from .jobs.resources import prepare_job, reference_job, retry_prepare
from .live.player import Lane, render_player, selected_point
from .live.point_details import render_point_details
from .live.prepared_map import PreparedMap
from .live.recording import RECORDINGS, Recording, clock_label
from .live.retrain_target import retrain_target
from .preset_cost import preset_cost_text
from .presets import load_presets, matching_preset, preset_by_id
from .results import curves_csv, player_html, report_json
from .results_view import render_results
from .sidebar import apply_config, current_config

PLAYER_KEY = "unlearn.player"
TARGETS_KEY = "unlearn.retrain_targets"  # per session: {id(prepared): RetrainTarget}


def _on_preset(preset_id: str) -> None:
    apply_config(preset_by_id(preset_id).apply(current_config()))


def recording_for(cfg: AppConfig, prepared: PreparedMap) -> Recording:
    """The shared recording of this configuration on this map (idle until someone presses Run)."""
    return RECORDINGS.get(prepared, cfg.experiment())


# ---- the page ---------------------------------------------------------------------------------------
def render_unlearn() -> None:
    cfg = current_config()
    look = Presentation.of(cfg)
    # Slots drawn in both modes, so that switching classroom mode never moves the player (see pages/unlearn.py).
    header, facts = st.container(), st.container()
    with header:
        if look.present:
            render_present_header(cfg)      # classroom mode: no preset buttons, no settings
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
    rec = recording_for(cfg, prepared)
    if not look.present:
        with facts:
            _facts(prepared, rec)
    render_player(PLAYER_KEY, prepared, [Lane(rec, "Contrastive", "contrastive")], look,
                  autoplay=st.session_state.pop(AUTORUN_KEY, False),
                  get_target=lambda: _retrain_target(cfg, prepared, rec),
                  get_overlay=lambda: privacy_overlay(rec) if rec.final is not None else None,
                  below=lambda: _point_details(prepared, rec))
    if not look.present:
        _story(cfg)
    if rec.final is not None:
        ref_job = reference_job(cfg.prep_key(), prepared.prep)
        render_results(rec, ref_job, cfg.forget.mode)
        if ref_job.ok:
            render_evidence(rec, ref_job.result, cfg)
        _downloads(rec, prepared, cfg, look)
    with st.expander("What the map shows", expanded=False):
        st.markdown(MAP_EXPLAINER.format(points=len(prepared.prep.split.probe),
                                         forget=int(prepared.prep.split.probe_is_forget.sum()),
                                         k=prepared.projection.settings.k, clock=clock_label(rec.clock)))


def _preset_bar(cfg: AppConfig) -> None:
    presets = load_presets()
    cols = st.columns(len(presets))
    for col, preset in zip(cols, presets):
        cost = preset_cost_text(preset, cfg)      # said before the click: a first visit may train for hours
        col.button(preset.title, key=f"preset_{preset.id}", on_click=_on_preset, args=(preset.id,),
                   width="stretch", help=preset.story + (f"\n\n{cost}" if cost else ""))


def _story(cfg: AppConfig) -> None:
    """The preset's story, under the player (above it, it pushed the map below a laptop's first screen)."""
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
    elif job.cancelled is not None:
        st.info(f"Preparing was cancelled: {job.cancelled}.")
    else:
        st.error(f"Preparing the experiment failed unexpectedly (a bug, not your settings): {job.why_not_ok}")
        with st.expander("Details"):
            st.code(job.failure or "")
    st.button("Try again", on_click=retry_prepare, args=(cfg.prep_key(), cfg.view.points))


def _facts(prepared: PreparedMap, rec: Recording) -> None:
    prep, split = prepared.prep, prepared.prep.split
    what = (f"class {prep.data.class_names[split.forget_class]}" if split.mode == "class"
            else f"{len(split.forget_train)} samples")
    source = "from the cache" if prep.original.from_cache else "trained just now"
    st.caption(f"{prep.exp.data.dataset} · {prep.exp.model.name} · forgetting {what} "
               f"({len(split.forget_train)} of {len(prep.data.train_y)} training samples) · map: "
               f"{len(split.probe)} samples, {int(split.probe_is_forget.sum())} to forget · original model "
               f"{source} ({prep.original.seconds:.1f} s of training) · device {prep.device} · engine seconds: "
               f"{'its thread CPU time' if rec.clock == 'cpu' else 'wall clock'}")


def _retrain_target(cfg: AppConfig, prepared: PreparedMap, rec: Recording):
    """Where retraining puts the forget samples (stars and the curves' target), once the run has stopped and
    the retrain reference is ready: asking for it earlier would start a retraining beside the run."""
    if rec.final is None:
        return None
    targets = st.session_state.setdefault(TARGETS_KEY, {})
    if id(prepared) not in targets:
        job = reference_job(cfg.prep_key(), prepared.prep)
        if not job.ok:
            return None
        targets[id(prepared)] = retrain_target(prepared, job.result.retrain.model)
    return targets[id(prepared)]


def _point_details(prepared: PreparedMap, rec: Recording) -> None:
    """The clicked sample at the step the player showed when it was clicked (before Run: the original's map)."""
    selected = selected_point(PLAYER_KEY)
    view = embeddings = None
    if selected is not None:
        frame = rec.map_frame_at(selected["step"])
        if frame is None:
            view, embeddings = prepared.preview(), prepared.projection.reference
        else:
            view = rec.map_view(frame)
            kept = rec.embeddings_at(frame.step)          # None for a step whose embeddings were thinned out
            embeddings = kept[1] if kept is not None and kept[0] == frame.step else None
    render_point_details(view, selected["probe"] if selected else None, embeddings, prepared.thumbnails,
                         clear=lambda: st.session_state.pop(f"{PLAYER_KEY}.selected", None))


def _downloads(rec: Recording, prepared: PreparedMap, cfg: AppConfig, look: Presentation) -> None:
    name = f"unlearn-{cfg.data.dataset}-{cfg.forget.mode}-seed{cfg.forget.seed}-step{rec.step}"
    cols = st.columns(3)
    job = reference_job(cfg.prep_key(), prepared.prep)
    ready = job.ok
    cols[0].download_button("Run (JSON)", data=(lambda: report_json(rec, job.result, cfg)) if ready else "",
                            file_name=f"{name}.json", mime="application/json", disabled=not ready,
                            on_click="ignore", key="dl_json",
                            help="The CLI's report: configuration, metrics of original / unlearned / retrain, "
                                 "history. Available when the retrain reference is ready.")
    cols[1].download_button("Curves (CSV)", data=lambda: curves_csv(rec), file_name=f"{name}.csv", mime="text/csv",
                            on_click="ignore", key="dl_csv", help="One row per step: losses, eval accuracies, "
                                                                  "termination test, engine seconds.")
    cols[2].download_button("Player (HTML)", data=lambda: player_html(prepared, rec, look), file_name=f"{name}.html",
                            mime="text/html", on_click="ignore", key="dl_html",
                            help="The same player as this page, every frame inside: plays offline.")


MAP_EXPLAINER = """
The map is a **UMAP layout of the original model's embeddings** of {points} training samples (fitted once,
{forget} of them from the forget set). Every frame places each sample at the similarity-weighted mean of the
map positions of its {k} most similar *original* embeddings, after rotating the frame's embeddings onto the
original space with the rotation that best superimposes the remaining samples (orthogonal Procrustes). So:

- coordinates are stable, and a point moves only when its embedding moves relative to the others;
- a forget sample that lands in another class's cluster now *resembles* that class to the encoder;
- faded dots are remaining samples, coloured by their true class; diamonds are forget samples, coloured by the
  class the model now **predicts**, with a grey trail from where they started (hollow circles).

**Recorded, then played.** The engine computes the run in the background at its own pace and records every
step; your browser plays the recording (Run, Pause, Step, Replay, the speed and the timeline act on what you
see, and the engine may be ahead). Everyone with the same settings watches the same recording. The seconds
beside the step are the engine's own compute: {clock}.

Why not UMAP's own `transform()` on every frame: on a 2-core CPU it took 1.7 s for 1,000 points, where the
alignment and placement take about 16 ms (`python -m bench.app_frame`). Hover a point to see its image, its true
label and the predicted label with its probability.
"""
