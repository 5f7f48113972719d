"""The live view by steps: how many map frames a user sees, and what showing them costs the engine.

    python -m bench.live_frames [--quick]

1. Frames shown at 1x for the app's default class run (digits, forget class 5) and default sample run
   (100 random samples): the page draws one frame a tick, plus the step-0 map before Run. Target: every
   optimiser step is shown (frames shown = steps + 1). Ticks count steps, so this figure is the same on
   any machine; the seconds a run takes to play at 1x (ticks x tick period) are printed beside it.
2. Engine throughput of the run controller in "as fast as possible" mode, drawing every tick's frame as
   the page does (map placement, the three plotly figures, their JSON), over the headless engine's
   (unlearn_core.unlearn with the same configuration, probe frames included), measured side by side in
   one run, alternating, medians over repeats. Target: at least 0.9. Also over the engine without probe
   frames (what recording every step as a frame costs).

The map's 2-D layout is a random stand-in for UMAP's (a frame's cost does not depend on where the points
lie, and fitting UMAP would only add numba's compile time to the benchmark).
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np
import plotly.io as pio

from unlearn_core import Experiment, ForgetConfig, prepare, unlearn
from unlearn_core.metrics import infer
from unlearn_core.projection import MapProjection, MapSettings

from app_ui.live_run import LiveRun, PreparedMap
from app_ui.run_controller import RunController, Speed, Status

from .common import median, print_figures, private_cache

BASE_FPS = 2.0            # ViewConfig.fps's default: frames a second at 1x


def _prepared(forget: ForgetConfig) -> PreparedMap:
    prep = prepare(Experiment(forget=forget, device="cpu"))
    out = infer(prep.original.model, prep.data, "train", prep.split.probe, prep.device)
    layout = np.random.default_rng(0).normal(size=(len(prep.split.probe), 2)).astype(np.float32)
    projection = MapProjection(out.embeddings.numpy(), layout, ~prep.split.probe_is_forget, MapSettings())
    return PreparedMap(prep, projection, [], out.probs().numpy())


def _controller(prepared: PreparedMap, speed: Speed, **unlearn) -> RunController:
    cfg = replace(prepared.prep.exp.unlearn_config(), probe_every=1, **unlearn)    # the app: a frame a step
    exp = replace(prepared.prep.exp, unlearn=cfg)
    return RunController(lambda: LiveRun(prepared, exp), fps=BASE_FPS, speed=speed)


def _draw(ctl: RunController) -> None:
    """What the page does after a tick: the three figures of the shown frame, serialised for the browser."""
    for fig in ctl.live.figures(ctl.shown_index, live=True):
        pio.to_json(fig.to_dict(), validate=False)


def _play(ctl: RunController) -> tuple[int, float]:
    """Run to the end tick by tick, drawing each tick's frame; (frames shown, wall seconds)."""
    start = time.perf_counter()
    ctl.run()
    shown = 1                                      # the step-0 map the page shows before Run
    while ctl.status is Status.RUNNING:
        if ctl.tick():
            _draw(ctl)
            shown += 1
    return shown, time.perf_counter() - start


def frames_shown(forget: ForgetConfig) -> dict:
    ctl = _controller(_prepared(forget), Speed.X1)
    shown, _ = _play(ctl)
    steps = ctl.live.final.step
    return {"steps": steps, "frames_recorded": len(ctl.live.frames), "frames_shown": shown,
            "every_step_shown": shown == steps + 1,
            "seconds_to_play_at_1x": ctl.ticks * ctl.pace.tick_seconds, "outcome": ctl.live.final.outcome.value}


def _headless(prepared: PreparedMap, cfg) -> tuple[int, float]:
    start = time.perf_counter()
    last = None
    for last in unlearn(prepared.prep.fresh_model(), prepared.prep.data, prepared.prep.split, cfg,
                        device=prepared.prep.device):
        pass
    return last.step, time.perf_counter() - start


def throughput(repeats: int, max_steps: int) -> dict:
    prepared = _prepared(ForgetConfig(mode="class", forget_class=5))
    # The paper's lr: a long run (it does not terminate within max_steps), so steady stepping dominates.
    run_cfg = dict(lr=1e-3, max_rounds=1000, max_steps=max_steps)
    cfg = replace(prepared.prep.exp.unlearn_config(), probe_every=1, **run_cfg)
    live, headless, no_probe, frames = [], [], [], []
    for _ in range(repeats):                       # alternating, so a busy moment hits every variant alike
        steps, seconds = _headless(prepared, cfg)
        headless.append(steps / seconds)
        steps, seconds = _headless(prepared, replace(cfg, probe_every=0))
        no_probe.append(steps / seconds)
        ctl = _controller(prepared, Speed.FASTEST, **run_cfg)
        shown, seconds = _play(ctl)
        live.append(ctl.live.final.step / seconds)
        frames.append(shown)
    return {"steps": max_steps, "frames_shown_as_fast_as_possible": int(median(frames)),
            "steps_per_second_headless": median(headless), "steps_per_second_headless_no_probe": median(no_probe),
            "steps_per_second_live_fastest": median(live),
            "live_over_headless": median(live) / median(headless),
            "live_over_headless_no_probe": median(live) / median(no_probe)}


def run(quick: bool = False) -> dict:
    with private_cache():
        return {
            "description": f"digits, small CNN, CPU, the app's defaults (a map frame every step, {BASE_FPS:g} "
                           "frames a second at 1x): frames shown at 1x (target: steps + 1), and the engine's "
                           "steps per second in 'as fast as possible' with every tick's frame drawn, over the "
                           "headless engine's, side by side (target >= 0.9)",
            "class_run": frames_shown(ForgetConfig(mode="class", forget_class=5)),
            "sample_run": frames_shown(ForgetConfig(mode="sample", count=100, seed=0)),
            "throughput": throughput(repeats=3 if quick else 5, max_steps=60 if quick else 150),
        }


if __name__ == "__main__":
    print_figures("live_frames", run(quick="--quick" in sys.argv))
