"""The recording: what recording every step as a map frame costs the engine, what a frame weighs, and whether
a run's engine seconds stay honest while the server trains something else beside it.

    python -m bench.recording [--quick]

1. Frames recorded for the app's default class run (digits, forget class 5) and default sample run (100
   random samples): one per optimiser step plus step 0 (the player then shows every one: a count, the same
   on any machine), their bytes per frame, and the whole payload the browser receives.
2. Engine steps per second while a page watches the recording in "as computed" (a thread answering the
   player's "want" every 0.4 s, as the server does) over the same recording with no page. Target: at least
   0.95. Beside it, what recording costs: the recording's steps per second over the bare engine's with the
   same probe frames (map placement and quantisation on the engine's thread) and with no probe frames.
   Side by side in one run, alternating, medians over repeats.
3. Honest clocks: the default class run's engine seconds (the engine thread's CPU time, one torch thread, as
   the app records) alone, and again while another thread retrains the model from scratch (what the app's
   retrain reference does beside a run). Target: within 1.5x. The wall clock is printed beside it.

The map's 2-D layout is a random stand-in for UMAP's (a frame's cost does not depend on where the points
lie, and fitting UMAP would only add numba's compile time to the benchmark).
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import replace

import numpy as np
import torch

from app_ui.classroom import Presentation
from app_ui.live.payload import Lane, frame_part, player_data
from app_ui.live.prepared_map import PreparedMap
from app_ui.live.recording import Recording
from unlearn_core import Experiment, ForgetConfig, prepare, unlearn
from unlearn_core.metrics import infer
from unlearn_core.projection import MapProjection, MapSettings
from unlearn_core.training import get_retrain

from .common import median, print_figures, private_cache

POLL_SECONDS = 0.4          # assets/player.js asks for new frames this often while a recording runs


def _prepared(forget: ForgetConfig) -> PreparedMap:
    prep = prepare(Experiment(forget=forget, device="cpu"))
    out = infer(prep.original.model, prep.data, "train", prep.split.probe, prep.device)
    layout = np.random.default_rng(0).normal(size=(len(prep.split.probe), 2)).astype(np.float32)
    projection = MapProjection(out.embeddings.numpy(), layout, ~prep.split.probe_is_forget, MapSettings())
    return PreparedMap(prep, projection, [], out.probs().numpy())


def _record(prepared: PreparedMap, **unlearn_cfg) -> tuple[Recording, float]:
    """Record a run to its end as the app's background job does, building each frame's payload as the
    player receives it; (the recording, wall seconds)."""
    cfg = replace(prepared.prep.exp.unlearn_config(), probe_every=1, **unlearn_cfg)
    rec = Recording(prepared, replace(prepared.prep.exp, unlearn=cfg))
    start = time.perf_counter()
    for step in rec.steps():
        rec.add(step)
        json.dumps(frame_part(rec.frames[-1]))
    return rec, time.perf_counter() - start


def frames_recorded(forget: ForgetConfig) -> dict:
    prepared = _prepared(forget)
    rec, _ = _record(prepared)
    sent = {"static": None, "lanes": {}, "served": 0}
    payload = json.dumps(player_data(prepared, [Lane(rec, "Contrastive", "contrastive")], Presentation(), sent, None))
    frame = rec.frames[-1]
    return {"steps": rec.final.step, "frames_recorded": len(rec.frames),
            "every_step_a_frame": [f.step for f in rec.frames] == list(range(rec.final.step + 1)),
            "map_points": len(frame.xy), "bytes_per_frame_in_memory": frame.xy.nbytes + frame.predicted.nbytes
            + frame.confidence.nbytes, "payload_kb_whole_run": round(len(payload) / 1024, 1),
            "outcome": rec.final.outcome.value}


def _headless(prepared: PreparedMap, cfg) -> tuple[int, float]:
    start = time.perf_counter()
    last = None
    for last in unlearn(prepared.prep.fresh_model(), prepared.prep.data, prepared.prep.split, cfg,
                        device=prepared.prep.device):
        pass
    return last.step, time.perf_counter() - start


def _record_watched(prepared: PreparedMap, **unlearn_cfg) -> tuple[Recording, float]:
    """_record with a page open in "as computed": a second thread does what the server does for the page's
    player, answering a "want" event every POLL_SECONDS (assets/player.js's pace) with the frames it lacks."""
    cfg = replace(prepared.prep.exp.unlearn_config(), probe_every=1, **unlearn_cfg)
    rec = Recording(prepared, replace(prepared.prep.exp, unlearn=cfg))
    done = threading.Event()
    served = []

    def page() -> None:
        sent = {"static": None, "lanes": {}, "served": 0}
        while not done.wait(POLL_SECONDS):
            served.append(len(json.dumps(player_data(prepared, [Lane(rec, "Contrastive", "contrastive")],
                                                     Presentation(), sent, None))))
    watcher = threading.Thread(target=page, daemon=True)
    start = time.perf_counter()
    watcher.start()
    for step in rec.steps():
        rec.add(step)
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    assert served, "the page never asked"
    return rec, seconds


def throughput(repeats: int, max_steps: int) -> dict:
    prepared = _prepared(ForgetConfig(mode="class", forget_class=5))
    # The paper's lr: a long run (it does not terminate within max_steps), so steady stepping dominates.
    run_cfg = dict(lr=1e-3, max_rounds=1000, max_steps=max_steps)
    cfg = replace(prepared.prep.exp.unlearn_config(), probe_every=1, **run_cfg)
    recorded, watched, headless, no_probe = [], [], [], []
    for _ in range(repeats):                       # alternating, so a busy moment hits every variant alike
        steps, seconds = _headless(prepared, cfg)
        headless.append(steps / seconds)
        steps, seconds = _headless(prepared, replace(cfg, probe_every=0))
        no_probe.append(steps / seconds)
        rec, seconds = _record(prepared, **run_cfg)
        recorded.append(rec.final.step / seconds)
        rec, seconds = _record_watched(prepared, **run_cfg)
        watched.append(rec.final.step / seconds)
    return {"steps": max_steps, "steps_per_second_headless_engine": median(headless),
            "steps_per_second_headless_engine_no_probe": median(no_probe),
            "steps_per_second_recording": median(recorded), "steps_per_second_recording_page_open": median(watched),
            "page_open_over_recording": median(watched) / median(recorded),
            "recording_over_headless_engine": median(recorded) / median(headless),
            "recording_over_headless_engine_no_probe": median(recorded) / median(no_probe)}


def honest_clock(repeats: int) -> dict:
    prepared = _prepared(ForgetConfig(mode="class", forget_class=5))
    prep = prepared.prep

    def engine_seconds() -> tuple[float, float]:
        rec, wall = _record(prepared)
        return rec.frames[-1].seconds, wall

    alone = [engine_seconds() for _ in range(repeats)]
    busy = []
    for _ in range(repeats):
        done = threading.Event()

        def retrain() -> None:      # what the app's reference job does beside a run: train from scratch
            while not done.is_set():
                get_retrain(prep.exp.data, prep.exp.model, replace(prep.exp.train_config(), epochs=2), prep.split,
                            data=prep.data, device=prep.device, use_cache=False)
        beside = threading.Thread(target=retrain, daemon=True)
        beside.start()
        time.sleep(0.5)             # the retraining is under way before the run starts
        busy.append(engine_seconds())
        done.set()
        beside.join()
    cpu_alone, cpu_busy = median([a[0] for a in alone]), median([b[0] for b in busy])
    wall_alone, wall_busy = median([a[1] for a in alone]), median([b[1] for b in busy])
    return {"clock": "CPU time of the engine's thread", "torch_threads": torch.get_num_threads(),
            "engine_seconds_alone": cpu_alone, "engine_seconds_with_a_retraining_beside": cpu_busy,
            "engine_seconds_ratio": cpu_busy / cpu_alone, "wall_seconds_alone": wall_alone,
            "wall_seconds_with_a_retraining_beside": wall_busy, "wall_ratio": wall_busy / wall_alone}


def run(quick: bool = False) -> dict:
    os.environ["TQDM_DISABLE"] = "1"        # the retrainings' progress bars would bury the figures
    torch.set_num_threads(1)        # the app's setting (app.py): the engine's thread does all its compute
    with private_cache():
        return {
            "description": "digits, small CNN, CPU, one torch thread (the app's setting), a map frame every step: "
                           "frames recorded (target: steps + 1), the recording's steps per second with a page "
                           "watching over none (target >= 0.95), and the engine "
                           "seconds of one run alone and beside a retraining (target: within 1.5x)",
            "class_run": frames_recorded(ForgetConfig(mode="class", forget_class=5)),
            "sample_run": frames_recorded(ForgetConfig(mode="sample", count=100, seed=0)),
            "throughput": throughput(repeats=3 if quick else 5, max_steps=60 if quick else 150),
            "honest_clock": honest_clock(repeats=2 if quick else 3),
        }


if __name__ == "__main__":
    print_figures("recording", run(quick="--quick" in sys.argv))
