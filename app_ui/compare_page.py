"""The Compare page: several unlearning methods on the same forget set, from the same original model.

    render_compare()        # pages/compare.py calls it; the sidebar's configuration is the experiment

The chosen methods run one after another in a background Job (shared by every session asking for the
same comparison: st.cache_resource keyed by the experiment and each method's configuration), after the
retrain reference the Unlearn page also uses. Contrastive runs with the sidebar's hyperparameters; every
baseline with its own defaults (its paper's, adapted to the dataset: unlearn_core.baselines), from the
sidebar's seed. Then the page shows:
- each method's embedding map, side by side in one shared projection (the original model's UMAP
  layout, unlearn_core.projection): by default contrastive vs NegGrad vs Finetune, the paper's Figure 1;
- forget accuracy against step for every method on one chart, threshold drawn (the paper's Figure 2);
- the results table (unlearn_core.compare.summarise, drawn by compare_table.py): every metric with its gap to
  retrain, the privacy score, Avg. Gap, time, and the speed-up over retrain in FLOPs and wall-clock, the best
  competing method of each column marked.

The figure builders below and the table builder are streamlit-free (tested without a browser).
"""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from unlearn_core import UnlearnConfig, UserInputError
from unlearn_core.baselines import METHOD_SUMMARIES, METHOD_TITLES, method_unlearn_config
from unlearn_core.compare import ALL_METHODS, summarise, winner
from unlearn_core.experiment import Experiment, MethodRun, run_method
from unlearn_core.projection import MapProjection

from .app_config import AppConfig
from .jobs.background import Job
from .jobs.board import JobBoard
from .compare_table import column_help, results_table, styled
from .jobs.progress import wait_for_job
from .figures import method_color
from .map_figure import MapFrame, map_figure
from .hover_images import show_hover_images
from .live.prepared_map import PreparedMap
from .jobs.resources import REFERENCES, prepare_job, reference_job, retry_prepare, retry_reference
from .sidebar import current_config

FIGURE_1 = ("contrastive", "neggrad", "finetune")       # the paper's Figure 1, made live
METHODS_KEY = "compare.methods"
REQUEST_KEY = "compare.request"                           # the plan the Run button asked for
CLICKED_KEY = "compare.clicked"                           # set by the Run button's callback
MAPS_PER_ROW = 3
FORGET_CURVE_PREFIX = "forget acc: "                       # trace names of the accuracy chart (tests look them up)
THRESHOLD_TRACE = "threshold 1/C"
Plan = tuple[tuple[str, UnlearnConfig], ...]


# ---------------------------------------------------------------------------------------------------
# What runs (streamlit-free)
# ---------------------------------------------------------------------------------------------------

def method_plan(cfg: AppConfig, methods: list[str]) -> Plan:
    """Each chosen method with the configuration it runs with. Probe embeddings are recorded at step 0
    and at the end only (probe_every beyond any budget): the maps show where each method ends up."""
    plan = []
    recipe = cfg.experiment().train_config()        # the retrain reference's: the retrain method runs it again
    for method in methods:
        if method == "contrastive":
            method_cfg = cfg.unlearn_config()
        else:
            method_cfg = method_unlearn_config(method, cfg.data.dataset, cfg.forget.mode, paper=cfg.paper_defaults,
                                               recipe=recipe, seed=cfg.forget.seed)
        plan.append((method, replace(method_cfg, probe_every=method_cfg.max_steps + 1)))
    return tuple(plan)


def run_plan(prepared: PreparedMap, ref_job: Job, plan: Plan, job: Job) -> list[MethodRun]:
    """The comparison's work (in the background Job): wait for the retrain reference, then each method."""
    job.set_phase("waiting for the retrain reference (trained once, then read from the disk cache)")
    job.wait_for(ref_job)          # a Cancel pressed meanwhile ends this job at once
    if not ref_job.ok:
        raise UserInputError(f"the retrain reference did not finish ({ref_job.why_not_ok})")
    runs = []
    for i, (method, method_cfg) in enumerate(plan):
        job.set_phase(f"running {METHOD_TITLES.get(method, method)} ({i + 1} of {len(plan)})")
        job.progress(i, len(plan))
        runs.append(run_method(prepared.prep, ref_job.result, method, method_cfg))
    return runs


# ---------------------------------------------------------------------------------------------------
# Figures (streamlit-free)
# ---------------------------------------------------------------------------------------------------

def final_map_frame(run: MethodRun, prepared: PreparedMap) -> MapFrame:
    """The method's last probe frame on the shared map, with a trail from where the original put each point."""
    start = next(s.probe for s in run.steps if s.probe is not None)
    end = next(s.probe for s in reversed(run.steps) if s.probe is not None)
    projection: MapProjection = prepared.projection
    start_xy, end_xy = projection.place(start.embeddings), projection.place(end.embeddings)
    split, data = prepared.prep.split, prepared.prep.data
    title = f"{METHOD_TITLES.get(run.report['method'], run.report['method'])}: step {run.report['steps']}"
    return MapFrame(xy=end_xy, trails=np.stack([start_xy, end_xy]), labels=data.train_y.numpy()[split.probe],
                    predicted=end.probs.argmax(axis=1), confidence=end.probs.max(axis=1),
                    is_forget=split.probe_is_forget, train_index=split.probe, class_names=data.class_names,
                    bounds=projection.bounds(), step=run.report["steps"], title=title)


def forget_curve_figure(runs: list[MethodRun], mode: str, num_classes: int) -> go.Figure:
    """Forget accuracy on the eval set against step, one line per method, and the termination threshold:
    1/C in class mode; in sample mode each method's own test-eval accuracy (dotted, same colour)."""
    key, label = ("forget_test_acc", "D^u_ts") if mode == "class" else ("forget_train_acc", "D^u_eval")
    fig = go.Figure()
    last = 1
    for i, run in enumerate(runs):
        method = run.report["method"]
        evaluated = [s for s in run.steps if s.eval is not None]
        steps = [s.step for s in evaluated]
        last = max(last, *steps)
        color = method_color(method)
        fig.add_trace(go.Scatter(x=steps, y=[s.eval[key] for s in evaluated], mode="lines+markers",
                                 name=FORGET_CURVE_PREFIX + METHOD_TITLES.get(method, method),
                                 line=dict(color=color), marker=dict(size=4)))
        if mode == "sample":
            fig.add_trace(go.Scatter(x=steps, y=[s.eval["test_acc"] for s in evaluated], mode="lines",
                                     name=f"threshold (test-eval acc): {METHOD_TITLES.get(method, method)}",
                                     line=dict(color=color, dash="dot")))
    if mode == "class":
        fig.add_trace(go.Scatter(x=[0, last], y=[1 / num_classes] * 2, mode="lines",
                                 name=f"{THRESHOLD_TRACE} = {1 / num_classes:.3f}",
                                 line=dict(color="firebrick", dash="dash")))
    fig.update_layout(title=dict(text=f"Forget accuracy ({label} eval set) against step", x=0.01), height=380,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="optimiser step", type="linear"),
                      yaxis=dict(range=[-0.03, 1.03], title="accuracy", tickformat=".0%"),
                      legend=dict(font=dict(size=11)))
    return fig


# ---------------------------------------------------------------------------------------------------
# Streamlit
# ---------------------------------------------------------------------------------------------------

# One comparison per (experiment, map size, methods and their configurations), shared by sessions. A board,
# not st.cache_resource: a cancelled comparison must give way to a new one for every session (JobBoard.get).
COMPARISONS = JobBoard("compare", max_entries=4)


def compare_job(prep_key: Experiment, points: int, plan: Plan, prepared: PreparedMap, ref_job: Job) -> Job:
    return COMPARISONS.get((prep_key, points, plan), lambda job: run_plan(prepared, ref_job, plan, job))


def try_again(key: tuple, prepared: PreparedMap) -> None:
    """Drop the comparison and its retrain reference if they ended without a result (failed or cancelled): the
    next ask, from this session or any other, runs them afresh. Running or finished ones stay."""
    job = COMPARISONS.peek(key)
    if job is not None:
        COMPARISONS.drop(job)
    ref = REFERENCES.peek(key[0])
    if ref is not None:
        retry_reference(ref)


def render_compare() -> None:
    cfg, prep_key = valid_config_or_stop()

    cols = st.columns([5, 1])
    methods = choose_methods(
        METHODS_KEY, where=cols[0],
        help="Contrastive runs with the sidebar's hyperparameters; each baseline with its paper's defaults, "
             "adapted to the dataset (see docs/COMPARE.md). Everything starts from the same original model "
             "and forgets the same set.")
    if not methods:
        st.info("Choose at least one method to compare.")
        st.stop()
    plan = method_plan(cfg, methods)
    cols[1].button("Run", key="compare_run", type="primary", width="stretch", on_click=_on_run,
                   help="Run the chosen methods one after another (each from a fresh copy of the original model).")
    # The plan is taken from this run's widgets, not from the callback's (which ran before they updated).
    # Kept as text: Streamlit re-imports a module whose file changed, and a config of the re-imported
    # class never equals one of the old class, though every field does.
    request = repr((prep_key, cfg.view.points, plan))
    clicked = st.session_state.pop(CLICKED_KEY, False)
    if clicked:
        st.session_state[REQUEST_KEY] = request

    prepared = prepared_map_or_stop(prep_key, cfg.view.points)

    if st.session_state.get(REQUEST_KEY) != request:
        st.info(f"Press **Run** to unlearn with {', '.join(METHOD_TITLES[m] for m in methods)} on the sidebar's "
                "experiment. Methods that run their whole budget (retrain, SCRUB, UNSIR) take longest.")
        st.stop()
    key = (prep_key, cfg.view.points, plan)
    if clicked:                        # Run starts afresh what ended without a result, for every session
        try_again(key, prepared)
    ref_job = reference_job(prep_key, prepared.prep)
    if not ref_job.started:            # a retrain estimated to take minutes here waits for its Start button
        wait_for_job(ref_job, "Retrain reference")
        st.stop()
    run_job = compare_job(prep_key, cfg.view.points, plan, prepared, ref_job)
    if clicked and not run_job.started:      # the one a Cancel left waiting: Run is its Start
        run_job.start()
    if not run_job.done:
        wait_for_job(run_job, "Comparing")
        st.stop()
    if not run_job.ok:
        st.error(f"The comparison did not finish: {run_job.why_not_ok}")
        if run_job.failure:
            with st.expander("Details"):
                st.code(run_job.failure)
        st.button("Try again", key="compare_retry", on_click=try_again, args=(key, prepared))
        st.stop()
    _show(run_job.result, prepared, cfg)


def choose_methods(key: str, help: str, where: DeltaGenerator | None = None,
                   max_selections: int | None = None) -> list[str]:
    """The methods multiselect (the paper's Figure 1 until the session picks others) in `where` (None: the
    page itself) and, under it, what each method does. The Compare and Side by side pages choose with it."""
    if key not in st.session_state:
        st.session_state[key] = list(FIGURE_1)
    methods = (st if where is None else where).multiselect(
        "Methods", list(ALL_METHODS), key=key, max_selections=max_selections,
        format_func=lambda m: METHOD_TITLES.get(m, m), help=help)
    with st.expander("What each method does", expanded=False):
        st.markdown("\n".join(f"- **{METHOD_TITLES[m]}**: {METHOD_SUMMARIES[m]}." for m in ALL_METHODS))
    return methods


def valid_config_or_stop() -> tuple[AppConfig, Experiment]:
    """The sidebar's configuration and the key of its prepared experiment. On settings the engine refuses the
    page says why and stops here (the Compare and Side by side pages share this)."""
    cfg = current_config()
    try:
        cfg.validate()
        return cfg, cfg.prep_key()
    except UserInputError as err:
        st.error(str(err))
        st.stop()


def prepared_map_or_stop(prep_key: Experiment, points: int) -> PreparedMap:
    """The prepared experiment and its map. Until they are ready the page shows the progress, or the failure
    with a Try again button, and stops here (the Compare and Side by side pages share this)."""
    job = prepare_job(prep_key, points)
    if not job.done:
        wait_for_job(job, "Preparing")
        st.stop()
    if not job.ok:
        st.error(job.error or f"Preparing the experiment failed unexpectedly (a bug, not your settings): {job.why_not_ok}")
        if job.failure:
            with st.expander("Details"):
                st.code(job.failure)
        st.button("Try again", on_click=retry_prepare, args=(prep_key, points))
        st.stop()
    return job.result


def _evidence(rows: list[dict]) -> None:
    """Does it really forget? Each method's relearn steps and probe accuracy beside the references'."""
    shown = [r for r in rows if "relearn_steps" in r["values"] or "probe_acc" in r["values"]]
    if not shown:
        return
    st.markdown("##### Does it really forget?")
    table = pd.DataFrame([{"method": r["title"],
                           "relearn steps": (r["values"].get("relearn_steps") or (None,))[0],
                           "probe acc %": 100 * r["values"]["probe_acc"][0] if "probe_acc" in r["values"] else None}
                          for r in shown])
    st.dataframe(table, hide_index=True, width="content", key="compare_evidence",
                 column_config={"relearn steps": st.column_config.NumberColumn(format="%.1f", help=RELEARN_HELP),
                                "probe acc %": st.column_config.NumberColumn(format="%.1f", help=PROBE_HELP)})
    st.caption("Relearn steps: fine-tuning steps on the remaining data plus a few forget samples until forget "
               "accuracy climbs back past the threshold (fewer than the retrain's: the forget data is still in "
               "the weights). Probe acc: a linear classifier on the frozen embeddings, on the forget data (above "
               "the retrain's: still decodable). The retrain row is the target for both (docs/PRIVACY.md).")


RELEARN_HELP = "steps to relearn the forget data to the threshold; past the cap counts as cap + 1; closest to retrain is best"
PROBE_HELP = "a linear probe's accuracy on the forget data from the frozen embeddings; closest to retrain is best"


def _on_run() -> None:
    st.session_state[CLICKED_KEY] = True


def _show(runs: list[MethodRun], prepared: PreparedMap, cfg: AppConfig) -> None:
    split = prepared.prep.split
    show_hover_images(prepared.thumbnails)
    st.subheader("Where each method leaves the samples")
    st.caption("One shared map: the original model's UMAP layout; every method's final embeddings are placed on it "
               "the same way (see the Unlearn page's 'What the map shows'). Diamonds are forget samples, coloured by "
               "the class the model now predicts, with a line from where the original model put them.")
    for start in range(0, len(runs), MAPS_PER_ROW):
        cols = st.columns(MAPS_PER_ROW)
        for col, run in zip(cols, runs[start:start + MAPS_PER_ROW]):
            fig = map_figure(final_map_frame(run, prepared))
            fig.update_layout(height=420, showlegend=False)
            col.plotly_chart(fig, width="stretch", key=f"compare_map_{run.report['method']}")
    st.plotly_chart(forget_curve_figure(runs, split.mode, split.num_classes), width="stretch",
                    key="compare_forget_curves")

    st.subheader("Results")
    rows = summarise([run.report for run in runs])
    table, best = results_table(rows)
    st.dataframe(styled(table, best), hide_index=True, width="stretch", key="compare_table",
                 column_config={name: st.column_config.Column(help=text)
                                for name, text in column_help(split.mode).items() if name in table.columns})
    st.caption("Accuracies, MIA shares and gaps in percent; 'gap' = |method − retrain reference|. Highlighted: the "
               "best competing method per column (closest to retrain; lowest Avg. Gap and time; highest speed-up); a "
               "retrain run never competes, it is the reference itself. MIA-eff. (SalUn's convention): share of "
               "D^u_tr called non-member, higher = more forgotten. MIA member (the paper's): share called member, "
               "lower = more forgotten; retrain is the target for both. Privacy score (x100): 100 = the "
               "method's outputs on D^u_tr cannot be told from the retrain model's by any threshold attack; higher "
               "is better. FLOPs speed-up: the retrain's training compute over the method's, the same on any "
               "machine. Speed-up (wall-clock, this machine): over "
               f"the {rows[-1]['speedup_over']} (add Retrain to the methods to time it side by side).")
    _evidence(rows)
    name, verdict = winner(rows)
    (st.success if name == "contrastive" else st.info)(verdict[0].upper() + verdict[1:] + ".")
    st.download_button("Runs (JSON)", data=lambda: json.dumps({"runs": [r.report for r in runs]}, indent=2),
                       file_name=f"compare-{cfg.data.dataset}-{cfg.forget.mode}-seed{cfg.forget.seed}.json",
                       mime="application/json", on_click="ignore", key="compare_download",
                       help="The same object as `python -m unlearn_core compare --out`: one run report per method.")
