"""The Sweep page: launch a small sweep on this machine or open a results file, then explore the trials.

    render_sweep_page()        # pages/sweep.py calls it; the sidebar's configuration is the sweep's base

A sweep launched here is the command line's `python -m unlearn_core sweep`, run as a child process
(the page shows the exact command, so the same sweep can be run in a terminal or on a cluster with
--address). A child process keeps Ray out of the Streamlit server: it uses every core while it runs,
a Stop button can end it, and it leaves nothing running behind. The page follows it through the
JSON-lines progress file the command writes and loads the results table when it is done.

The figures and tables (streamlit-free functions here, tested without a browser):
- parallel coordinates: one line per finished trial across the searched settings and the outcomes;
- the Pareto front of forget accuracy, remaining accuracy and time, with the original and retrain
  references drawn beside the trials;
- each trial's link to the Unlearn page, with its settings in the URL (AppConfig's query keys).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from unlearn_core import UnlearnConfig, UserInputError
from unlearn_core.cli import HYPERPARAMETERS
from unlearn_core.metrics import METRIC_LABELS
from unlearn_core.sweep import (ERROR, NOT_TERMINATED, OBJECTIVE, RAY_INSTALL_HINT, SCHEDULERS, SEARCHABLE,
                                STOPPED_EARLY, TERMINATED, UTILITY_METRIC, SearchSpec, best_trial, config_summary,
                                finished_trials, make_spec, pareto_front, ray_available, read_progress, read_table,
                                run_command, trial_configs, trials)

from .app_config import AppConfig
from .sidebar import HELP, apply_config, current_config

REPO = Path(__file__).resolve().parents[1]
# The hyperparameters; the command line can search the rest of UnlearnConfig too.
PAGE_SETTINGS = ("tau", "lambda_ul", "lambda_ce", "lr", "omega", "batch_size")
PAGE_MAX_TRIALS = 48          # "a small sweep on this machine"; larger ones belong to the command line
UNLEARN_PAGE = "unlearn"      # url_path of the Unlearn page in app.py's navigation (pages/unlearn.py)
UNLEARN_PAGE_FILE = "pages/unlearn.py"
JOB_KEY, TABLE_KEY, SOURCE_KEY, GOTO_UNLEARN_KEY = "sweep.job", "sweep.table", "sweep.source", "sweep.goto_unlearn"
STOP_GRACE_SECONDS = 15.0     # after Stop: time for Ray to shut down before the process group is killed
STATUS_COLORS = {TERMINATED: "#2ca02c", NOT_TERMINATED: "#ff7f0e", STOPPED_EARLY: "#7f7f7f", ERROR: "#d62728"}


# ---------------------------------------------------------------------------------------------------
# Launching (streamlit-free)
# ---------------------------------------------------------------------------------------------------

def base_arguments(cfg: AppConfig, searched: set[str]) -> list[str]:
    """The sweep command's experiment options for the sidebar's configuration; every hyperparameter
    that is not searched is fixed at the sidebar's value, so the base is exactly what the page shows."""
    args = ["--dataset", cfg.dataset, "--model", cfg.model, "--mode", cfg.mode, "--seed", str(cfg.seed),
            "--device", cfg.device]
    if cfg.mode == "class":
        args += ["--forget-class", str(cfg.forget_class)]
    elif cfg.indices:
        args += ["--forget-indices", ",".join(map(str, cfg.indices))]
    else:
        args += ["--forget-count", str(cfg.count)]
    for name in HYPERPARAMETERS:
        if name not in searched:
            args += ["--" + name.replace("_", "-"), str(getattr(cfg.hyper, name))]
    return args


def search_arguments(values: dict[str, str], seeds: str, samples: int, scheduler: str) -> list[str]:
    """--space options from the page's text fields ({"lr": "1e-3, 1e-2", ...}; blank: not searched)."""
    args = []
    for name, text in values.items():
        if text.strip():
            args += ["--space", f"{name}={text.replace(' ', '')}"]
    if seeds.strip():
        args += ["--space", f"seed={seeds.replace(' ', '')}"]
    if samples:
        args += ["--samples", str(samples)]
    return args + ["--scheduler", scheduler]


def plan(values: dict[str, str], seeds: str, samples: int, cfg: AppConfig) -> list[dict]:
    """The trials the page's fields describe (validated like the command line does), or UserInputError."""
    assignments = [f"{n}={t.replace(' ', '')}" for n, t in values.items() if t.strip()]
    if seeds.strip():
        assignments.append(f"seed={seeds.replace(' ', '')}")
    spec: SearchSpec = make_spec(None, assignments, samples or None, None)
    return trial_configs(spec, cfg.unlearn_config())


@dataclass
class SweepJob:
    """A sweep running as `python -m unlearn_core sweep` in a child process of this session."""
    process: subprocess.Popen
    folder: Path
    command: list[str]
    trials: int
    stopped: bool = False
    stop_sent_at: float | None = None

    @property
    def out(self) -> Path:
        return self.folder / "sweep.csv"

    @property
    def progress(self) -> Path:
        return self.folder / "progress.jsonl"

    @property
    def stderr(self) -> Path:
        return self.folder / "stderr.txt"

    def running(self) -> bool:
        if self.process.poll() is None and self.stop_sent_at is not None \
                and time.monotonic() - self.stop_sent_at > STOP_GRACE_SECONDS:
            os.killpg(self.process.pid, signal.SIGKILL)      # Ray did not shut down in time
            self.process.wait(timeout=10)
        return self.process.poll() is None

    def stop(self) -> None:
        """Ctrl-C for the sweep: Ray Tune stops its trials and shuts down; the rest of the group later."""
        if self.process.poll() is None:
            self.stopped = True
            self.stop_sent_at = time.monotonic()
            os.killpg(self.process.pid, signal.SIGINT)

    def last_error(self) -> str | None:
        """The command's one-line error (a failed event, or the last line of its stderr)."""
        failed = [e for e in read_progress(self.progress) if e.get("event") == "failed"]
        if failed:
            return failed[-1].get("error")
        try:
            lines = [line for line in self.stderr.read_text().splitlines() if line.strip()]
        except OSError:
            return None
        return lines[-1] if lines else None


def launch(cli_args: list[str], trials: int) -> SweepJob:
    folder = Path(tempfile.mkdtemp(prefix="unlearn-sweep-page-"))
    command = [sys.executable, "-m", "unlearn_core", "sweep", *cli_args,
               "--out", str(folder / "sweep.csv"), "--progress", str(folder / "progress.jsonl")]
    with open(folder / "stderr.txt", "wb") as err:
        # Its own process group, so that Stop reaches Ray's helper processes too.
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    return SweepJob(process, folder, command, trials)


@dataclass(frozen=True)
class Progress:
    """What the progress events say so far."""
    phase: str
    training: tuple[int, int] | None       # (done, total) of the model being trained, while training
    total: int | None                      # trials, once Ray has started
    finished: int
    latest: pd.DataFrame                   # per trial: the last reported step, eval gap, outcome
    error: str | None


def summarize_progress(events: list[dict]) -> Progress:
    phase, training, total, finished, error = "starting", None, None, 0, None
    latest: dict[int, dict] = {}
    for e in events:
        kind = e.get("event")
        if kind == "phase":
            phase, training = f"{e['phase']}: {e['detail']}", None
        elif kind == "training":
            training = (e["done"], e["total"])
        elif kind == "start":
            phase, training, total = "running trials", None, e["trials"]
        elif kind == "trial_start":
            latest.setdefault(e["trial"], {"trial": e["trial"], "state": "running"})
        elif kind == "trial_result":
            row = latest.setdefault(e["trial"], {"trial": e["trial"]})
            row.update({"state": "running", "step": e.get("step"), "seconds": e.get("seconds"),
                        "eval_gap": e.get("eval_gap")})
            if e.get("final"):
                row["state"] = TERMINATED if e.get("terminated") else NOT_TERMINATED
                row["avg_gap"] = e.get("avg_gap")
        elif kind in ("trial_complete", "trial_error"):
            finished += 1
            row = latest.setdefault(e["trial"], {"trial": e["trial"]})
            if kind == "trial_error":
                row["state"] = ERROR
            elif row.get("state") == "running":
                row["state"] = STOPPED_EARLY
        elif kind == "finished":
            phase = "writing the results table"
        elif kind == "written":
            phase = "done"
        elif kind == "failed":
            error = e.get("error")
    table = pd.DataFrame(sorted(latest.values(), key=lambda r: r["trial"]),
                         columns=["trial", "state", "step", "seconds", "eval_gap", "avg_gap"])
    return Progress(phase, training, total, finished, table, error)


# ---------------------------------------------------------------------------------------------------
# Results (streamlit-free)
# ---------------------------------------------------------------------------------------------------

def searched_columns(table: pd.DataFrame) -> list[str]:
    """The settings that vary between trials (the seed last)."""
    t = trials(table)
    varying = [c for c in SEARCHABLE if c != "seed" and t[c].nunique(dropna=True) > 1]
    return varying + (["seed"] if t["seed"].nunique(dropna=True) > 1 else [])


def row_config(row: pd.Series, view: AppConfig) -> AppConfig:
    """The app configuration a trial row stands for; the map and live-view settings stay the viewer's."""
    hyper = replace(UnlearnConfig(), **{name: (int(row[name]) if isinstance(getattr(UnlearnConfig(), name), int)
                                               else float(row[name])) for name in HYPERPARAMETERS})
    indices = tuple(int(i) for i in str(row["forget_indices"]).split(",") if i.strip()) \
        if isinstance(row["forget_indices"], str) else ()
    return replace(view, dataset=str(row["dataset"]), model=str(row["model"]), mode=str(row["mode"]),
                   forget_class=int(row["forget_class"]) if row["mode"] == "class" else view.forget_class,
                   count=int(row["forget_count"]) if pd.notna(row["forget_count"]) else view.count,
                   indices=indices, seed=int(row["seed"]), device=str(row["device"]), paper_defaults=False,
                   hyper=hyper)


def trial_link(row: pd.Series, view: AppConfig) -> str:
    """A relative link to the Unlearn page with the trial's whole configuration in the URL."""
    return f"{UNLEARN_PAGE}?{urlencode(row_config(row, view).to_query())}"


def trials_view(table: pd.DataFrame, view: AppConfig) -> pd.DataFrame:
    """The trials as the page lists them: settings, outcome, metrics (percent), and the link."""
    t = trials(table)
    mode = str(t["mode"].iloc[0])
    utility = UTILITY_METRIC[mode]
    out = pd.DataFrame({"trial": t["trial"].astype(int), "status": t["status"]})
    for c in searched_columns(table) or ["seed"]:
        out[c] = t[c]
    out["steps"] = t["steps"]
    out["Avg. Gap %"] = 100 * t["avg_gap"]
    out["forget-train acc %"] = 100 * t["forget_train_acc"]
    if mode == "class":
        out["forget-test acc %"] = 100 * t["forget_test_acc"]
    out[f"{'remaining-test' if mode == 'class' else 'test'} acc %"] = 100 * t[utility]
    out["MIA-efficacy %"] = 100 * t["mia_efficacy"]
    out["seconds"] = t["seconds"]
    out["speed-up"] = t["speedup"]
    out["open"] = [trial_link(row, view) for _, row in t.iterrows()]
    return out.reset_index(drop=True)


def parallel_figure(table: pd.DataFrame) -> go.Figure:
    """One line per finished trial: searched settings, then Avg. Gap, forget and utility accuracy, time."""
    done = finished_trials(table)
    mode = str(table["mode"].iloc[0])
    utility = UTILITY_METRIC[mode]
    dims = []
    for c in searched_columns(table):
        values = done[c].astype(float)
        if c in ("lr",) and (values > 0).all():
            dims.append(dict(label=f"log10 {c}", values=np.log10(values)))
        else:
            dims.append(dict(label=c, values=values))
    dims += [dict(label="Avg. Gap %", values=100 * done["avg_gap"]),
             dict(label="forget-train acc %", values=100 * done["forget_train_acc"], range=[0, 100]),
             dict(label=f"{utility.replace('_acc', '')} acc %", values=100 * done[utility]),
             dict(label="seconds", values=done["seconds"])]
    fig = go.Figure(go.Parcoords(
        line=dict(color=100 * done["avg_gap"], colorscale="Viridis_r", showscale=True,
                  colorbar=dict(title="Avg. Gap %")),
        dimensions=dims))
    fig.update_layout(title=f"{len(done)} finished trials (lower Avg. Gap: closer to retrain)",
                      margin=dict(l=60, r=40, t=100, b=30), height=440)
    return fig


def pareto_figure(table: pd.DataFrame) -> go.Figure:
    """Forget-set accuracy against utility accuracy, marker size = time; the Pareto front (over forget
    gap to retrain, utility loss and time) outlined and joined; original and retrain as references."""
    front = pareto_front(table)
    mode = str(table["mode"].iloc[0])
    utility = UTILITY_METRIC[mode]
    fig = go.Figure()
    seconds = front["seconds"].astype(float)
    size = 10 + 25 * (seconds - seconds.min()) / max(seconds.max() - seconds.min(), 1e-9) if len(front) else []
    text = [f"trial {int(r['trial'])} (seed {int(r['seed'])}): {r['status']}<br>"
            f"forget-train {100 * r['forget_acc']:.1f}%, {utility} {100 * r['utility_acc']:.1f}%<br>"
            f"{r['seconds']:.2f} s, Avg. Gap {100 * r['avg_gap']:.2f}%" for _, r in front.iterrows()]
    on = front["on_front"].to_numpy(bool) if len(front) else np.zeros(0, bool)
    for label, mask, line in (("on the Pareto front", on, dict(width=2, color="black")),
                              ("dominated", ~on, dict(width=0))):
        fig.add_trace(go.Scatter(
            x=100 * front["forget_acc"][mask], y=100 * front["utility_acc"][mask], mode="markers", name=label,
            marker=dict(size=np.asarray(size)[mask] if len(front) else [], color=front["seconds"][mask],
                        colorscale="Plasma", cmin=float(seconds.min()) if len(front) else 0,
                        cmax=float(seconds.max()) if len(front) else 1, line=line,
                        colorbar=dict(title="seconds") if label == "dominated" else None,
                        showscale=label == "dominated", opacity=0.9 if label != "dominated" else 0.55),
            text=[t for t, m in zip(text, mask) if m], hovertemplate="%{text}<extra></extra>"))
    if on.any():
        path = front[on].sort_values("forget_acc")
        fig.add_trace(go.Scatter(x=100 * path["forget_acc"], y=100 * path["utility_acc"], mode="lines",
                                 line=dict(color="black", dash="dot", width=1), name="front", hoverinfo="skip"))
    for kind, symbol in (("retrain", "star"), ("original", "x")):
        refs = table[table["kind"] == kind]
        if len(refs):
            fig.add_trace(go.Scatter(
                x=100 * refs["forget_train_acc"], y=100 * refs[utility], mode="markers", name=kind,
                marker=dict(symbol=symbol, size=16, color="#d62728" if kind == "retrain" else "#1f77b4"),
                text=[f"{kind} (seed {int(s)}): {t:.1f} s of training" for s, t in zip(refs["seed"], refs["seconds"])],
                hovertemplate="%{text}<extra></extra>"))
    target = "retrain's (the star)" if mode == "sample" else "0, as retrain's"
    fig.update_layout(
        title="Pareto front: forget accuracy vs remaining accuracy vs time",
        xaxis_title=f"forget-train accuracy % (target: {target})",
        yaxis_title=f"{utility.replace('_', ' ').replace(' acc', '')} accuracy % (higher is better)",
        height=460, margin=dict(l=60, r=20, t=60, b=50), legend=dict(orientation="h", y=-0.2))
    return fig


def format_best(table: pd.DataFrame) -> tuple[pd.Series | None, str]:
    best, note = best_trial(table)
    if best is None:
        return None, "No trial finished, so there is no best trial."
    utility = UTILITY_METRIC[str(best["mode"])]
    settings = ", ".join(f"{c} = {best[c]:g}" for c in searched_columns(table)) or "the base settings"
    return best, (f"**Best trial: {int(best['trial'])}** ({settings}): Avg. Gap {100 * best['avg_gap']:.2f}%, "
                  f"forget-train accuracy {100 * best['forget_train_acc']:.1f}%, {utility} "
                  f"{100 * best[utility]:.1f}%, {best['seconds']:.2f} s. Objective: {note}.")


# ---------------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------------

def render_sweep_page() -> None:
    if st.session_state.pop(GOTO_UNLEARN_KEY, False):
        st.switch_page(UNLEARN_PAGE_FILE)
    cfg = current_config()
    launch_tab, open_tab = st.tabs(["Launch a sweep here", "Open a results file"])
    with launch_tab:
        _render_launch(cfg)
    with open_tab:
        _render_open()
    table = st.session_state.get(TABLE_KEY)
    if table is None:
        if _running_job() is None:
            st.info("No results yet: launch a sweep or open a results file (`python -m unlearn_core sweep` writes one).")
        st.stop()
    _render_results(table, st.session_state.get(SOURCE_KEY, ""), cfg)


def _render_launch(cfg: AppConfig) -> None:
    if not ray_available():
        st.info(f"Sweeps run on Ray Tune, an optional extra that is not installed here. Enable it with "
                f"`{RAY_INSTALL_HINT}` and reload the page. Results files can still be opened in the next tab.")
        return
    job: SweepJob | None = st.session_state.get(JOB_KEY)
    running = _running_job() is not None
    # The fields stay on the page (disabled) while a sweep runs: a widget left out of a run loses its value.
    st.caption(f"The base is the sidebar's configuration ({cfg.dataset}, {cfg.mode} mode, model {cfg.model}). "
               "Give comma-separated values for what to vary; blank keeps the sidebar's value. Every "
               "configuration runs once per seed. ASHA stops trials whose eval accuracies are further from the "
               "retrain reference's than the others' at the same step.")
    values = {}
    columns = st.columns(3)
    for i, name in enumerate(PAGE_SETTINGS):
        with columns[i % 3]:
            values[name] = st.text_input(name, key=f"sweep.space.{name}", placeholder=str(getattr(cfg.hyper, name)),
                                         help=f"{HELP[name]} Sidebar value: {getattr(cfg.hyper, name)}.",
                                         disabled=running)
    left, middle, right = st.columns(3)
    seeds = left.text_input("seeds", value="0, 1", key="sweep.seeds", disabled=running,
                            help="Each configuration runs once per seed (forget set, eval subsets, batch order).")
    samples = middle.number_input("random samples (0: full grid)", min_value=0, max_value=PAGE_MAX_TRIALS, value=0,
                                  key="sweep.samples", disabled=running,
                                  help="N > 0 draws N configurations from the lists at random.")
    scheduler = right.selectbox("scheduler", SCHEDULERS, key="sweep.scheduler", disabled=running,
                                help="asha: early-stop trials that are behind; fifo: run every trial to its end.")
    if running:
        _render_job(job)
        return
    try:
        configs = plan(values, seeds, int(samples), cfg)
    except UserInputError as err:
        st.error(str(err))
        return
    searched = {n for n, t in values.items() if t.strip()}
    cli_args = base_arguments(cfg, searched) + search_arguments(values, seeds, int(samples), scheduler)
    st.code("python -m unlearn_core sweep " + " ".join(cli_args) + " --out sweep.csv", language="bash")
    if len(configs) > PAGE_MAX_TRIALS:
        st.error(f"{len(configs)} trials: this page runs at most {PAGE_MAX_TRIALS}. Run the command above in a "
                 f"terminal (add --address to use a Ray cluster).")
        return
    if job is not None:
        _render_job_outcome(job)
    if st.button(f"Launch {len(configs)} trials on this machine", type="primary", key="sweep.launch"):
        st.session_state[JOB_KEY] = launch(cli_args, len(configs))
        st.rerun()


def _running_job() -> SweepJob | None:
    job = st.session_state.get(JOB_KEY)
    return job if job is not None and job.running() else None


def _render_job(job: SweepJob) -> None:
    @st.fragment(run_every=1.0)
    def poll() -> None:
        if not job.running():
            st.rerun()          # the whole page: results or the error
        progress = summarize_progress(read_progress(job.progress))
        st.markdown(f"**Sweep running** ({job.trials} trials): {progress.phase}")
        if progress.training:
            done, total = progress.training
            st.progress(done / max(total, 1), text=f"training: step {done} of {total}")
        if progress.total:
            st.progress(progress.finished / progress.total, text=f"{progress.finished} of {progress.total} trials done")
        if len(progress.latest):
            st.dataframe(progress.latest, hide_index=True, width="stretch")
        if st.button("Stop the sweep", key="sweep.stop", disabled=job.stopped):
            job.stop()
    with st.expander("Command", expanded=False):
        st.code(" ".join(job.command), language="bash")
    poll()


def _render_job_outcome(job: SweepJob) -> None:
    """The last launch ended: load its table, or say why there is none (once)."""
    if job.process.returncode in (0, 1) and job.out.exists() and st.session_state.get(SOURCE_KEY) != str(job.out):
        st.session_state[TABLE_KEY] = read_table(job.out)
        st.session_state[SOURCE_KEY] = str(job.out)
    elif job.stopped:
        st.info("The last sweep was stopped; nothing was written.")
    elif not job.out.exists():
        st.error(f"The last sweep failed: {job.last_error() or f'exit code {job.process.returncode}'}")


def _render_open() -> None:
    upload = st.file_uploader("A results file (.csv or .parquet from `python -m unlearn_core sweep --out`)",
                              type=["csv", "parquet"], key="sweep.upload")
    path = st.text_input("or its path on this machine", key="sweep.path", placeholder="sweep-results.csv")
    source = upload if upload is not None else (path.strip() or None)
    if source is None:
        return
    label = getattr(source, "name", source)
    if st.session_state.get(SOURCE_KEY) == f"open:{label}":
        return
    try:
        if isinstance(source, str) and not Path(source).expanduser().is_file():
            raise UserInputError(f"{source}: no such file")
        table = read_table(source if not isinstance(source, str) else str(Path(source).expanduser()))
    except UserInputError as err:
        st.error(str(err))
        return
    st.session_state[TABLE_KEY] = table
    st.session_state[SOURCE_KEY] = f"open:{label}"


def _render_results(table: pd.DataFrame, source: str, cfg: AppConfig) -> None:
    t = trials(table)
    st.subheader("Results")
    counts = t["status"].value_counts()
    st.caption(f"{source.removeprefix('open:')}: {len(t)} trials on {t['dataset'].iloc[0]}/{t['model'].iloc[0]}, "
               f"{t['mode'].iloc[0]} mode; " + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in
                                                        (TERMINATED, NOT_TERMINATED, STOPPED_EARLY, ERROR)) + ".")
    best, text = format_best(table)
    st.markdown(text)
    if best is not None:
        st.caption("Reproduce it on the command line:")
        st.code(run_command(best), language="bash")
    _render_open_trial(t, best, cfg)
    view = trials_view(table, cfg)
    percent = {c: st.column_config.NumberColumn(format="%.1f") for c in view.columns if c.endswith(" acc %")}
    st.dataframe(view, hide_index=True, width="stretch", column_config={
        **percent,
        "open": st.column_config.LinkColumn("Unlearn page", display_text="open", help="This trial's settings in the "
                                            "Unlearn page (a new tab)"),
        "status": st.column_config.TextColumn(help="terminated: the paper's rule fired; not terminated: ran to the "
                                                   "round cap; stopped early: cut by ASHA; error: see the table"),
        "MIA-efficacy %": st.column_config.NumberColumn(format="%.1f", help=METRIC_LABELS["mia_efficacy"]),
        "Avg. Gap %": st.column_config.NumberColumn(format="%.2f", help="mean |metric - retrain's| (SalUn-style)"),
        "seconds": st.column_config.NumberColumn(format="%.2f", help="unlearning time (trials shared the cores)"),
        "speed-up": st.column_config.NumberColumn(format="%.1fx", help="retrain's training time / seconds"),
    })
    if not len(finished_trials(table)):
        st.info("No trial finished, so there is nothing to plot.")
        return
    st.plotly_chart(parallel_figure(table), key="sweep.parallel")
    st.plotly_chart(pareto_figure(table), key="sweep.pareto")
    st.caption("Pareto front: trials that no other trial beats on all three of the distance of forget accuracy to "
               "retrain's, the drop of remaining accuracy below retrain's, and time. Times of trials that ran side by "
               "side share the machine's cores.")
    if t["seed"].nunique() > 1:
        st.markdown("**Means over seeds** (most terminated, then smallest mean Avg. Gap first)")
        st.dataframe(config_summary(table), hide_index=True, width="stretch")
    st.download_button("Download the results (CSV)", table.to_csv(index=False), file_name="sweep.csv",
                       mime="text/csv", key="sweep.download")


def _render_open_trial(t: pd.DataFrame, best: pd.Series | None, cfg: AppConfig) -> None:
    """A trial into this session's Unlearn page: its settings become the sidebar's (the table's links
    open a new tab instead, where the URL carries them)."""
    numbers = [int(n) for n in t["trial"]]
    default = numbers.index(int(best["trial"])) if best is not None else 0
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    chosen = left.selectbox("Trial", numbers, index=default, key="sweep.open_trial")
    row = t[t["trial"] == chosen].iloc[0]
    right.button(f"Open trial {chosen} in the Unlearn page", key="sweep.open_button",
                 on_click=_open_in_unlearn_page, args=(row_config(row, cfg),),
                 help="Sets the sidebar to this trial's dataset, forget set, seed and hyperparameters.")


def _open_in_unlearn_page(cfg: AppConfig) -> None:
    """Callback: the trial's configuration becomes the session's; the next run switches pages. (The
    switch keys on a flag, not on the button's return value: inside app.py's navigation the click's
    trigger has already been reset by the time this page's body runs.)"""
    apply_config(cfg)
    st.session_state[GOTO_UNLEARN_KEY] = True
