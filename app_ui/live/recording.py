"""Recording: one unlearning run, computed by the engine at its own pace in a background thread, kept as
compact frames that any number of viewers read. No Streamlit here.

    rec = RECORDINGS.get(prepared, exp)      # the shared recording of this experiment on this map (idle)
    rec.start()                              # the engine runs in a Job thread until the run stops
    rec.frames[:n]                           # append-only: Frame per engine step, step 0 first
    rec.state                                # "idle" | "recording" | "done" | "failed"
    rec.final, rec.model, rec.evaluated      # once done: the closing Step, the unlearned model, the curves

    rec = Recording(prepared, exp); rec.add(step)   # tests and benchmarks drive it step by step instead

Nothing here waits for a viewer: the browser's player (player.py, assets/player.js) plays the frames at
its own speed, and the engine may be far ahead of what anyone sees. Recordings of the same experiment on
the same map are shared (RecordingBoard), so five students pressing Run on the default story cost one run.

A frame is small: map coordinates quantised to uint16 within the map's fixed bounds, the predicted class
and its probability as uint8, and the step's scalars. Memory per recording, bounded:
- map frames: 6 bytes a point (6 kB a frame at 1,000 points), at most MAX_MAP_FRAMES of them (12 MB at
  1,000 points); past that the map is kept only for the closing step while the curves go on;
- scalars: one small dict per step, at most max_steps + 1 (the engine's hard cap);
- embeddings, for a clicked point's nearest neighbours: at most EMBEDDING_BUDGET bytes; past it every
  other middle step's embeddings are dropped (the first and the newest stay), and the neighbours of a
  step come from the nearest kept step at or before it.

Honest clocks: a frame's `seconds` is the engine's own compute for this run. On a CPU with one torch
thread (the app's setting, app.py) that is the CPU time of the engine's thread (Step.cpu_seconds): other
sessions, a retrain reference training beside it, or the recording's own map placement do not count.
Elsewhere (a GPU, or several torch threads whose work the thread's clock misses) it is the engine's wall
time (Step.seconds). `clock_label()` says which, for the page.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from typing import Hashable

import numpy as np
import torch

from unlearn_core import Experiment, Step, UserInputError, unlearn

from ..map_figure import MapFrame
from ..jobs.background import Job
from .prepared_map import PreparedMap

MAX_MAP_FRAMES = 2000
EMBEDDING_BUDGET = 32 * 2**20
QUANT = 65534                      # xy quantisation levels (0..QUANT); NOT_FINITE marks a point with no position
NOT_FINITE = 65535


@dataclass(frozen=True, eq=False)
class Frame:
    """One engine step as the player shows it."""
    step: int
    round: int
    seconds: float                    # the engine's own compute so far (see the module's docstring)
    flops: float                      # unlearning FLOPs so far
    losses: dict                      # {} at step 0
    eval: dict | None                 # eval-set accuracies, when evaluated at this step
    embedding: dict | None            # leaving-the-cluster numbers, with every eval
    fired: bool | None                # the termination test, when evaluated
    xy: np.ndarray | None = None      # uint16 [P, 2]: map position quantised within the map's bounds
    predicted: np.ndarray | None = None    # uint8 [P]
    confidence: np.ndarray | None = None   # uint8 [P]: the predicted class's probability, in percent

    @property
    def has_map(self) -> bool:
        return self.xy is not None


def quantise(xy: np.ndarray, bounds) -> np.ndarray:
    """float [N, 2] -> uint16 [N, 2] within bounds ((x0, x1), (y0, y1)); a non-finite point -> NOT_FINITE."""
    lo = np.array([bounds[0][0], bounds[1][0]], dtype=np.float64)
    span = np.array([bounds[0][1] - bounds[0][0], bounds[1][1] - bounds[1][0]], dtype=np.float64)
    scaled = (np.asarray(xy, dtype=np.float64) - lo) / np.where(span > 0, span, 1.0) * QUANT
    finite = np.isfinite(scaled).all(axis=1, keepdims=True)
    q = np.clip(np.nan_to_num(scaled), 0, QUANT).round().astype(np.uint16)
    return np.where(finite, q, np.uint16(NOT_FINITE))


def dequantise(q: np.ndarray, bounds) -> np.ndarray:
    """The inverse of quantise (to within half a level); NOT_FINITE -> NaN."""
    lo = np.array([bounds[0][0], bounds[1][0]])
    span = np.array([bounds[0][1] - bounds[0][0], bounds[1][1] - bounds[1][0]])
    xy = lo + q.astype(np.float64) / QUANT * span
    return np.where((q == NOT_FINITE).any(axis=1, keepdims=True), np.nan, xy)


def engine_clock(device: torch.device) -> str:
    """Which clock a frame's seconds are: "cpu" (the engine thread's CPU time) or "wall"."""
    return "cpu" if device.type == "cpu" and torch.get_num_threads() == 1 else "wall"


def clock_label(clock: str) -> str:
    return ("CPU time of the engine's own thread (one torch thread): other work on this machine does not count"
            if clock == "cpu" else "the engine's wall-clock time, synchronised with the device")


class Recording:
    def __init__(self, prepared: PreparedMap, exp: Experiment):
        self.id = f"rec-{uuid.uuid4().hex[:12]}"
        self.prepared = prepared
        self.exp = exp
        self.prep = replace(prepared.prep, exp=exp)      # shares data, split and the (never modified) original
        self.cfg = exp.unlearn_config()
        self.clock = engine_clock(self.prep.device)
        self.frames: list[Frame] = []                    # append-only (viewers hold indices into it)
        self.evaluated: list[Step] = []                  # evaluated Steps (probe dropped): report and results
        self.losses: list[dict] = []                     # one row per optimiser step (the CSV)
        self.final: Step | None = None
        self.error: str | None = None                    # why the run failed, in one line
        self.model: torch.nn.Module | None = None        # the model being unlearned; the unlearned one when done
        self.job: Job | None = None
        self._embeddings: dict[int, np.ndarray] = {}     # step -> float16 [P, D], thinned (EMBEDDING_BUDGET)
        self._lock = threading.Lock()
        self._bounds = prepared.projection.bounds()

    # ---- state ----------------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self.error is not None:
            return "failed"
        if self.final is not None:
            return "done"
        return "idle" if self.job is None else "recording"

    @property
    def done(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def step(self) -> int:
        return self.frames[-1].step if self.frames else 0

    def frames_from(self, offset: int) -> list[Frame]:
        with self._lock:
            return self.frames[offset:]

    # ---- running --------------------------------------------------------------------------------------
    def start(self) -> "Recording":
        """Start the engine in a background Job (once; later calls do nothing)."""
        with self._lock:
            if self.job is not None or self.done:
                return self
            self.job = Job("recording", self._run)
        self.job.start()
        return self

    def _run(self, job: Job) -> None:
        try:
            for step in self.steps():
                job.progress(step.step, self.cfg.max_steps)     # a cancelled job (the server stopping) ends here
                self.add(step)
        except UserInputError as err:
            self.error = str(err)
        except Exception as err:  # the page says why in one line; the job keeps the traceback for the log
            self.error = f"{type(err).__name__}: {err}".strip().splitlines()[0]
            raise

    def steps(self):
        """The engine's generator on a fresh copy of the original model."""
        self.model = self.prep.fresh_model()
        return unlearn(self.model, self.prep.data, self.prep.split, self.cfg, method=self.exp.method,
                       device=self.prep.device)

    def add(self, step: Step) -> None:
        """Record one engine Step (the engine yields each step number once, the closing Step included)."""
        frame = Frame(step=step.step, round=step.round,
                      seconds=step.cpu_seconds if self.clock == "cpu" else step.seconds, flops=step.flops,
                      losses=dict(step.losses), eval=dict(step.eval) if step.eval is not None else None,
                      embedding=dict(step.embedding) if step.embedding is not None else None,
                      fired=step.termination.fired if step.termination is not None else None)
        maps_kept = sum(f.has_map for f in self.frames)
        if step.probe is not None and (maps_kept < MAX_MAP_FRAMES or step.stop):
            probs = step.probe.probs
            xy = self.prepared.projection.place(step.probe.embeddings)
            frame = replace(frame, xy=quantise(xy, self._bounds), predicted=probs.argmax(axis=1).astype(np.uint8),
                            confidence=np.round(100 * probs.max(axis=1)).astype(np.uint8))
            self._keep_embeddings(step.step, step.probe.embeddings)
        slim = replace(step, probe=None)               # the embeddings live in _embeddings, once
        with self._lock:
            self.frames.append(frame)
            if step.losses:
                self.losses.append({"step": step.step, "round": step.round, **step.losses})
            if step.eval is not None:
                self.evaluated.append(slim)
            if step.stop:
                self.final = slim

    def _keep_embeddings(self, step: int, embeddings: np.ndarray) -> None:
        with self._lock:
            self._embeddings[step] = embeddings.astype(np.float16)
            held = sum(e.nbytes for e in self._embeddings.values())
            if held > EMBEDDING_BUDGET and len(self._embeddings) >= 4:
                steps = sorted(self._embeddings)
                for dropped in steps[1:-1][::2]:
                    del self._embeddings[dropped]

    # ---- what the pages ask ---------------------------------------------------------------------------
    def embeddings_at(self, step: int) -> tuple[int, np.ndarray] | None:
        """(the kept step at or before `step`, its probe embeddings [P, D]); None before any."""
        with self._lock:
            kept = [s for s in self._embeddings if s <= step]
            return (max(kept), self._embeddings[max(kept)]) if kept else None

    def map_frame_at(self, step: int) -> Frame | None:
        """The newest frame with a map at or before `step`."""
        with self._lock:
            return next((f for f in reversed(self.frames) if f.has_map and f.step <= step), None)

    def xy(self, frame: Frame) -> np.ndarray:
        """A map frame's positions, float [P, 2] (NaN where the embedding was not finite)."""
        return dequantise(frame.xy, self._bounds)

    def map_view(self, frame: Frame) -> MapFrame:
        """A map frame as map_figure.MapFrame (the clicked-point panel and the Compare page read it)."""
        split, xy = self.prep.split, self.xy(frame)
        return MapFrame(xy=xy, trails=xy[None], labels=self.prepared.labels, predicted=frame.predicted.astype(int),
                        confidence=frame.confidence.astype(np.float32) / 100, is_forget=split.probe_is_forget,
                        train_index=split.probe, class_names=self.prep.data.class_names, bounds=self._bounds,
                        step=frame.step)


class RecordingBoard:
    """One Recording per experiment and map in this server process; finished ones beyond `max_entries` are
    forgotten, oldest first. A failed one stays (every viewer sees why) until drop() (the page's Try again)."""

    def __init__(self, max_entries: int = 16):
        self.max_entries = max_entries
        self._recordings: dict[Hashable, Recording] = {}
        self._lock = threading.Lock()

    def get(self, prepared: PreparedMap, exp: Experiment) -> Recording:
        key = (id(prepared), exp)
        with self._lock:
            rec = self._recordings.get(key)
            if rec is None or rec.prepared is not prepared:
                rec = Recording(prepared, exp)
                self._recordings[key] = rec
                self._forget_old()
            return rec

    def by_id(self, rec_id: str) -> Recording | None:
        """The recording with this id (the player's lane id), if this process still holds it."""
        with self._lock:
            return next((r for r in self._recordings.values() if r.id == rec_id), None)

    def drop(self, rec: Recording) -> None:
        """Forget `rec` (a failed run): the next get starts afresh."""
        with self._lock:
            for key, held in list(self._recordings.items()):
                if held is rec:
                    del self._recordings[key]

    def _forget_old(self) -> None:
        finished = [k for k, r in self._recordings.items() if r.done]
        for key in finished[:max(0, len(self._recordings) - self.max_entries)]:
            del self._recordings[key]


RECORDINGS = RecordingBoard()
