"""The shared, expensive parts, each computed once per process in a background Job (a JobBoard).

    job = prepare_job(cfg.prep_key(), cfg.view.points)   # data, split, original model (trained once, then
                                                         # read from the disk cache), the map, the thumbnails
    job.result -> PreparedMap
    ref = reference_job(cfg.prep_key(), prepared.prep)   # original and retrain metrics, retrain model
    ref.result -> unlearn_core.Reference (the engine's: what run_method and build_report take)

Keys are the frozen engine configs, so every session asking for the same experiment shares one job
and one result; the results are never modified (LiveRun unlearns a deep copy of the original).
A failed job stays cached (so its message keeps showing) until `retry_prepare` clears it. A training
estimated to take minutes on this device (app_ui.cost_estimate) waits for the page's Start button.
"""
from __future__ import annotations

import gc
from dataclasses import replace

from unlearn_core import Experiment, Reference, UnlearnConfig, make_split, prepare, reference
from unlearn_core.experiment import Prepared
from unlearn_core.metrics import infer
from unlearn_core.projection import map_for
from unlearn_core.runner import warm_up
from unlearn_core.splits import PROBE_SIZE

from .background import Job
from ..cost_estimate import original_estimate, retrain_estimate
from .board import JobBoard
from .priority import lower_this_thread
from ..live.prepared_map import PreparedMap
from ..live.thumbnails import png_data_uris

TRAINING_PHASE = "training the original model (once; then it is read from the disk cache)"
MAP_PHASE = ("fitting the map with UMAP (once per experiment; on a fresh machine its code compiles first, "
             "once: tens of seconds)")


def build_prepared_map(prep_key: Experiment, points: int, job: Job) -> PreparedMap:
    job.set_phase("loading the data and the original model")

    def progress(done: int, total: int) -> None:
        if job.phase != TRAINING_PHASE:
            job.set_phase(TRAINING_PHASE)
        job.progress(done, total)

    prep = prepare(prep_key, progress=progress)
    if points != PROBE_SIZE:   # the eval sets are drawn before the probe, so only the map changes
        prep = replace(prep, split=make_split(prep.data, prep_key.forget, probe_size=points))
    job.set_phase("encoding the images for the hover")
    thumbnails = png_data_uris(prep.data.train_x, prep.split.probe)
    probs = infer(prep.original.model, prep.data, "train", prep.split.probe, prep.device).probs().numpy()
    # The first optimiser step in a process imports torch._dynamo and sets up autograd (seconds on a CPU):
    # pay it here, in the background, not after Run is pressed. warm_up steps a throwaway copy.
    job.set_phase("warming up the optimiser")
    warm_up(prep.original.model, prep.data, prep.split, UnlearnConfig(), prep.device)
    # The map last: on a fresh machine its code may still be compiling in the server's warm-up (app_ui/warm_up.py),
    # and the steps above need none of it.
    job.set_phase("embedding the map's probe set")
    projection = map_for(prep, on_fit=lambda: job.set_phase(MAP_PHASE))
    return PreparedMap(prep, projection, thumbnails, probs.astype("float32"))


def build_reference(prep: Prepared, job: Job) -> Reference:
    lower_this_thread()      # nobody watches it train: the runs being played and the browsers come first
    job.set_phase("retraining without the forget set (once; then it is read from the disk cache), then "
                  "evaluating the original and the retrained model")
    return reference(prep, progress=job.progress)


def freeze_long_lived() -> None:
    """Leave the objects alive now (the modules: torch, plotly, the engine) out of the garbage collector's
    scans (gc.freeze), so that a full collection walks the app's data only. Why: a full collection over a heap
    of torch, numba and plotly objects took 0.3-1.4 s on 2 shared cores, holding the GIL. Streamlit runs one
    after every script run (every progress poll and live-view tick of every session) unless its
    runner.postScriptGC option is off, which .streamlit/config.toml does; Python's own collections remain."""
    gc.freeze()


PREPARED = JobBoard("prepare", max_entries=8)
REFERENCES = JobBoard("reference", max_entries=8)


def prepare_job(prep_key: Experiment, points: int) -> Job:
    return PREPARED.get((prep_key, points), lambda job: build_prepared_map(prep_key, points, job),
                        estimate=lambda: original_estimate(prep_key))


def reference_job(prep_key: Experiment, prep: Prepared) -> Job:
    """Keyed by what the retrain depends on; `prep` is the prepared experiment of that key."""
    return REFERENCES.get(prep_key, lambda job: build_reference(prep, job), estimate=lambda: retrain_estimate(prep))


def retry_prepare(prep_key: Experiment, points: int) -> None:
    PREPARED.discard((prep_key, points))


def retry_reference(job: Job) -> None:
    """Try again: a reference that failed or was cancelled is dropped; the next ask, from any session, retrains."""
    REFERENCES.drop(job)


freeze_long_lived()     # torch, streamlit, plotly and the engine, imported by now
