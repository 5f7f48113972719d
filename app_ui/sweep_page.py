"""The Sweep page: launch a small sweep on this machine or open a results file, then explore the trials.

    render_sweep_page()        # pages/sweep.py calls it; the sidebar's configuration is the sweep's base

The page builds a typed SweepSpec from its widgets (one per searchable setting, generated from the
setting's declaration: label, help, bounds) and runs `unlearn_core.sweep.run_sweep` in a background Job
(app_ui/background.py), so the page stays live; it reads back the results table (a DataFrame). Figures
and tables are drawn by app_ui/sweep_figures.py (plotly express).
"""
from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from unlearn_core import UserInputError
from unlearn_core.metrics import METRIC_LABELS
from unlearn_core.sweep import (ERROR, NOT_TERMINATED, RAY_INSTALL_HINT, SCHEDULERS, STOPPED_EARLY, TERMINATED,
                                Dimension, SweepOptions, SweepSpec, best_trial, config_summary, finished_trials,
                                read_table, run_command, run_sweep, searchable, trials)
from unlearn_core.sweep.space import SEED, parse_dimension

from .jobs.background import Job, JobCancelled
from .jobs.progress import wait_for_job
from .sidebar import current_config
from .sweep_figures import parallel_figure, pareto_figure, searched_columns, trials_view

PAGE_MAX_TRIALS = 48          # "a small sweep on this machine"; larger ones belong to the command line
JOB_KEY, TABLE_KEY, SOURCE_KEY = "sweep.job", "sweep.table", "sweep.source"
# One sweep at a time per server: Ray runs once per process, and a second sweep's shutdown would end the first.
_RAY_LOCK = threading.Lock()


def ray_available() -> bool:
    """Whether Ray is installed, found without importing it: Ray's import takes seconds and about 1 GB, paid
    only when a sweep launches (run_sweep imports it, and says in one line if its Tune extra is missing)."""
    return importlib.util.find_spec("ray") is not None


def dimension_from_text(name: str, text: str) -> Dimension | None:
    """A page field, read as the CLI's --space reads it (unlearn_core.sweep.space.parse_dimension): "a, b, c"
    (a list) or "LOW:HIGH" (a range on the setting's scale, random search only); blank: not searched."""
    text = text.replace(" ", "")
    return parse_dimension(name, text) if text else None


def build_spec(texts: dict[str, str], seeds: str, samples: int) -> SweepSpec:
    """The SweepSpec the page's fields describe, checked (bounds, trial count), or UserInputError."""
    dims = tuple(d for d in (dimension_from_text(n, t) for n, t in texts.items()) if d is not None)
    parsed = tuple(dict.fromkeys(SEED.parse(v) for v in seeds.replace(" ", "").split(",") if v))
    spec = SweepSpec(dimensions=dims, seeds=parsed, samples=samples or None)
    spec.check()
    return spec


def start_sweep(exp, spec: SweepSpec, options: SweepOptions) -> Job:
    """run_sweep in a background Job; the Job's result is the table. job.cancel(...) stops it: Tune ends its
    trials at the next stop test, and the job then ends as cancelled (nothing kept)."""

    def on_event(job: Job, event: dict) -> None:
        try:
            if event["event"] == "phase":
                job.set_phase(f"{event['phase']} ({event['detail']})")
            elif event["event"] == "start":
                job.set_phase(f"running {event['trials']} trials")
                job.progress(0, event["trials"])
            elif event["event"] in ("trial_complete", "trial_error"):
                job.progress(job.steps_done + 1, job.steps_total)
        except JobCancelled:
            pass           # raised inside Tune's callbacks it would not stop Tune: the stop test below does

    def work(job: Job) -> pd.DataFrame:
        if not _RAY_LOCK.acquire(blocking=False):
            raise UserInputError("another sweep is running on this server; wait for it or stop it")
        try:
            return run_sweep(exp, spec, options, on_event=lambda e: on_event(job, e), progress=job.progress,
                             should_stop=lambda: job.cancel_requested)
        except UserInputError:
            job.check_cancelled()      # stopped because it was cancelled: say so, not "the sweep was stopped"
            raise
        finally:
            _RAY_LOCK.release()

    return Job("sweep", work).start()


# ---------------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------------

def render_sweep_page() -> None:
    launch_tab, open_tab = st.tabs(["Launch a sweep here", "Open a results file"])
    with launch_tab:
        _render_launch()
    with open_tab:
        _render_open()
    table = st.session_state.get(TABLE_KEY)
    if table is None:
        st.info("No results yet: launch a sweep or open a results file (`python -m unlearn_core sweep` writes one).")
        st.stop()
    _render_results(table, st.session_state.get(SOURCE_KEY, ""))


def _render_launch() -> None:
    if not ray_available():
        st.info(f"Sweeps run on Ray Tune, an optional extra that is not installed here. Enable it with "
                f"`{RAY_INSTALL_HINT}` and reload the page. Results files can still be opened in the next tab.")
        return
    exp = current_config().experiment()
    base = exp.unlearn_config()
    job: Job | None = st.session_state.get(JOB_KEY)
    running = job is not None and not job.done
    st.caption(f"The base is the sidebar's configuration ({exp.data.dataset}, {exp.forget.mode} mode, model "
               f"{exp.model.name}). Give comma-separated values to vary a setting, or LOW:HIGH for a random search's "
               "range; blank keeps the sidebar's value. Every configuration runs once per seed.")
    texts, columns = {}, st.columns(3)
    for i, (name, s) in enumerate(searchable().items()):
        # The fields stay on the page (disabled) while a sweep runs: a widget left out of a run loses its value.
        texts[name] = columns[i % 3].text_input(
            s.label, key=f"sweep.space.{name}", placeholder=s.format(getattr(base, name)), disabled=running,
            help=f"{s.help_text()} Allowed: {s.describe_bounds()}; searched on a {s.search} scale. "
                 f"Sidebar value: {s.format(getattr(base, name))}.")
    left, middle, right = st.columns(3)
    seeds = left.text_input(SEED.label + "s", value="0, 1", key="sweep.seeds", disabled=running,
                            help=SEED.help_text() + " Each configuration runs once per seed.")
    samples = middle.number_input("random samples (0: full grid)", min_value=0, max_value=PAGE_MAX_TRIALS, value=0,
                                  key="sweep.samples", disabled=running,
                                  help="N > 0 draws N configurations: lists at random, ranges on the setting's scale.")
    scheduler = right.selectbox("scheduler", SCHEDULERS, key="sweep.scheduler", disabled=running,
                                help="asha: stop trials that are behind early; fifo: run every trial to its end.")
    if running:
        wait_for_job(job, "Sweep")        # its Cancel stops the sweep (start_sweep)
        return
    try:
        spec = build_spec(texts, seeds, int(samples))
    except UserInputError as err:
        st.error(str(err))
        return
    count = spec.trial_count()
    if count > PAGE_MAX_TRIALS:
        st.error(f"{count} trials: this page runs at most {PAGE_MAX_TRIALS}; use `python -m unlearn_core sweep` "
                 f"(with --address for a Ray cluster).")
        return
    if job is not None:
        _take_outcome(job)
    # A callback, not the button's return value: inside app.py's navigation the click's trigger has been
    # reset by the time this page's body runs.
    st.button(f"Launch {count} trial{'s' if count != 1 else ''} on this machine", type="primary", key="sweep.launch",
              on_click=_launch, args=(exp, spec, SweepOptions(scheduler=scheduler)))


def _launch(exp, spec: SweepSpec, options: SweepOptions) -> None:
    st.session_state[JOB_KEY] = start_sweep(exp, spec, options)      # a new Job: Launch always starts afresh


def _take_outcome(job: Job) -> None:
    """The last launch ended: keep its table (once), or say in one line why there is none."""
    if job.ok:
        if st.session_state.get(SOURCE_KEY) != f"job:{id(job)}":
            st.session_state[TABLE_KEY], st.session_state[SOURCE_KEY] = job.result, f"job:{id(job)}"
    elif job.failure:
        st.error(f"The last sweep failed (internal error): {job.why_not_ok}")
        with st.expander("Details"):
            st.code(job.failure)
    else:
        st.info(f"The last sweep ended without results: {job.why_not_ok}")


def _render_open() -> None:
    upload = st.file_uploader("A results file (.csv or .parquet from `python -m unlearn_core sweep --out`)",
                              type=["csv", "parquet"], key="sweep.upload")
    path = st.text_input("or its path on this machine", key="sweep.path", placeholder="sweep-results.csv")
    source = upload if upload is not None else (path.strip() or None)
    if source is None:
        return
    label = f"open:{getattr(source, 'name', source)}"
    if st.session_state.get(SOURCE_KEY) == label:
        return
    try:
        if isinstance(source, str):
            source = Path(source).expanduser()
            if not source.is_file():
                raise UserInputError(f"{path.strip()}: no such file")
        table = read_table(source)
    except UserInputError as err:
        st.error(str(err))
        return
    st.session_state[TABLE_KEY], st.session_state[SOURCE_KEY] = table, label


def _render_results(table: pd.DataFrame, source: str) -> None:
    t = trials(table)
    counts = t["status"].value_counts()
    st.subheader("Results")
    where = "the sweep launched here" if source.startswith("job:") else source.removeprefix("open:")
    st.caption(f"{where}: {len(t)} trials on {t['dataset'].iloc[0]}/{t['model'].iloc[0]}, {t['mode'].iloc[0]} "
               "mode; " + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in
                                    (TERMINATED, NOT_TERMINATED, STOPPED_EARLY, ERROR)) + ".")
    best, note = best_trial(table)
    if best is None:
        st.markdown("No trial finished, so there is no best trial.")
    else:
        settings_text = ", ".join(f"{c} = {best[c]:g}" for c in searched_columns(table)) or "the base settings"
        st.markdown(f"**Best trial: {int(best['trial'])}** ({settings_text}): Avg. Gap {100 * best['avg_gap']:.2f}%, "
                    f"forget-train accuracy {100 * best['forget_train_acc']:.1f}%, {best['seconds']:.2f} s. "
                    f"Objective: {note}.")
        st.code(run_command(best), language="bash")
    view = trials_view(table)
    st.dataframe(view, hide_index=True, width="stretch", column_config={
        "open": st.column_config.LinkColumn("Unlearn page", display_text="open",
                                            help="This trial's settings in the Unlearn page (a new tab)"),
        "status": st.column_config.TextColumn(help="terminated: the paper's rule fired; not terminated: ran to the "
                                                   "round cap; stopped early: cut by ASHA; error: see the table"),
        "MIA-efficacy %": st.column_config.NumberColumn(format="%.1f", help=METRIC_LABELS["mia_efficacy"]),
        "Avg. Gap %": st.column_config.NumberColumn(format="%.2f", help="mean |metric - retrain's| (SalUn-style)"),
        "seconds": st.column_config.NumberColumn(format="%.2f", help="unlearning time (trials shared the cores)"),
    })
    if not len(finished_trials(table)):
        st.info("No trial finished, so there is nothing to plot.")
        return
    st.plotly_chart(parallel_figure(table), key="sweep.parallel")
    st.plotly_chart(pareto_figure(table), key="sweep.pareto")
    st.caption("Pareto front: trials that no other trial beats on all three of the distance of forget accuracy to "
               "retrain's, the drop of utility accuracy below retrain's, and time. Times of trials that ran side by "
               "side share the machine's cores.")
    if t["seed"].nunique() > 1:
        st.markdown("**Means over seeds** (most terminated, then smallest mean Avg. Gap first)")
        st.dataframe(config_summary(table), hide_index=True, width="stretch")
    st.download_button("Download the results (CSV)", table.to_csv(index=False), file_name="sweep.csv",
                       mime="text/csv", key="sweep.download")
