"""Run pressed to the first embedding frame, warm and cold.

    python -m bench.first_frame [--quick]

The page's work without the Streamlit server: what the Unlearn page does between "Run" and its first
live map frame (app_ui: the prepare job, the run controller's first tick at 1x, one optimiser step, and
the three figures serialised as st.plotly_chart does), on the default setup: digits, class 5, the small
CNN, 1,000 map points. (Before Run the page already shows the original model's map, step 0.)
- warm: the prepared experiment and the map are in memory (the server has shown this experiment):
  the first Run in the process (it pays torch's one-time optimiser import) and the median of later ones;
- warm from disk: a fresh process whose model and map caches are on disk (a restarted server);
- cold: a fresh process with an empty cache and the default 30-epoch recipe: training, the first UMAP
  fit of the process (numba compiles), the original model's map, then Run's first live frame; with the longest time the progress bar
  stood still (the UMAP fit, when the page counts its seconds instead).
Fresh processes import the app's modules before their clock starts: a server has them loaded before
anyone presses Run. (The live page's throughput against the headless engine is bench/live_frames.py's.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

import plotly.io as pio

from app_ui.app_config import AppConfig
from app_ui.jobs.background import Job
from app_ui.figures import map_figure
from app_ui.live_run import LiveRun
from app_ui.run_controller import RunController
from app_ui.jobs.resources import build_prepared_map

from .common import median, print_figures

POLL_S = 0.1


def draw(run: LiveRun) -> None:
    """The page's figures of the newest frame (live while running), serialised as st.plotly_chart does."""
    for fig in run.figures(live=run.final is None):
        pio.to_json(fig.to_dict(), validate=False)


def prepare_with_progress(cfg: AppConfig) -> tuple[object, float, list]:
    """The page's prepare job; returns (result, seconds, [(t, phase, fraction)] as the page would show)."""
    job = Job("prepare", lambda j: build_prepared_map(cfg.prep_key(), cfg.view.points, j))
    start = time.perf_counter()
    job.start()
    seen = []
    while not job.wait(POLL_S):
        shown = (job.phase, None if job.fraction() is None else round(job.fraction(), 2))
        if not seen or seen[-1][1:] != shown:
            seen.append((time.perf_counter() - start, *shown))
    if not job.ok:
        raise RuntimeError(job.error or job.failure)
    return job.result, time.perf_counter() - start, seen


def first_frame_seconds(prepared, cfg: AppConfig) -> float:
    """Run pressed to the first live frame: the page's controller's first tick at 1x and its draw."""
    start = time.perf_counter()
    ctl = RunController(lambda: LiveRun(prepared, cfg.experiment()), fps=cfg.view.fps)
    ctl.run()
    ctl.tick()
    draw(ctl.live)
    ctl.close()
    return time.perf_counter() - start


def preview_seconds(prepared) -> float:
    """The original model's map that the page shows as soon as it is prepared, before Run."""
    start = time.perf_counter()
    pio.to_json(map_figure(prepared.preview()).to_dict(), validate=False)
    return time.perf_counter() - start


def longest_still(progress: list, total: float) -> float:
    """The longest time the page's progress bar stood still: a phase without a fraction (the UMAP fit),
    during which the page shows the phase's name and its running seconds instead."""
    times = [t for t, *_ in progress] + [total]
    return max(b - a for a, b in zip(times, times[1:])) if len(times) > 1 else total


def _child() -> dict:
    """Runs in a fresh process (see run()); UNLEARN_CACHE_DIR is set by the parent."""
    cfg = replace(AppConfig(), device="cpu")
    prepared, prep_s, progress = prepare_with_progress(cfg)
    preview_s = preview_seconds(prepared)
    frame_s = first_frame_seconds(prepared, cfg)
    return {"prepare_s": prep_s, "original_map_shown_after_s": prep_s + preview_s,
            "first_live_frame_after_prepare_s": frame_s, "run_to_first_frame_s": prep_s + frame_s,
            "longest_progress_bar_still_s": longest_still(progress, prep_s),
            "progress_phases": sorted({phase for _, phase, _ in progress})}


def fresh_process(cache_dir: str) -> dict:
    env = dict(os.environ, UNLEARN_CACHE_DIR=cache_dir)
    env.pop("UNLEARN_TRAIN_EPOCHS", None)          # the default recipe
    code = "import json, bench.first_frame as b; print(json.dumps(b._child()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> dict:
    repeats = 3 if quick else 7
    cfg = replace(AppConfig(), device="cpu")
    with tempfile.TemporaryDirectory(prefix="unlearn-bench-") as cache:
        cold = fresh_process(cache)                  # an empty cache; fills it for the next two
        from_disk = fresh_process(cache)
        os.environ["UNLEARN_CACHE_DIR"], old = cache, os.environ.get("UNLEARN_CACHE_DIR")
        try:
            prepared, _, _ = prepare_with_progress(cfg)
            warm = [first_frame_seconds(prepared, cfg) for _ in range(repeats + 1)]
        finally:
            if old is None:
                os.environ.pop("UNLEARN_CACHE_DIR")
            else:
                os.environ["UNLEARN_CACHE_DIR"] = old
    return {
        "description": "Run pressed to the first live embedding frame on the default setup (digits, class 5, small "
                       "CNN, 1,000 map points, CPU; the original model's map shows before Run); budgets: warm 3 s, "
                       "cold 60 s with progress shown throughout",
        "warm": {"first_run_in_process_s": warm[0], "median_s": median(warm[1:]),
                 "within_3_s": max(warm) <= 3.0},
        "warm_from_disk_fresh_process": {**from_disk, "within_3_s": from_disk["run_to_first_frame_s"] <= 3.0},
        "cold_fresh_process": {**cold, "within_60_s": cold["run_to_first_frame_s"] <= 60.0},
    }


if __name__ == "__main__":
    print_figures("first_frame", run(quick="--quick" in sys.argv))
