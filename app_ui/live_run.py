"""LiveRun: one session's unlearning run, advanced a few steps at a time, with what it has recorded.

    run = LiveRun(prepared, cfg.experiment())     # nothing runs yet
    run.advance(budget_s=0.5)                     # Run: steps for about half a second (a live tick)
    run.advance(max_updates=1)                    # Step: exactly one optimiser step
    run.frame_xy(len(run.frames) - 1)             # the newest map frame's coordinates, [P, 2]
    run.final                                     # the last Step (metrics, stop reason) once it stopped

The engine's generator (unlearn_core.unlearn) lives inside the run, so each session owns its model
copy and its progress; nothing here touches Streamlit. Map frames keep the probe embeddings (float16):
they are placed on the map lazily (during a live run only the frames that are drawn get placed, so the
per-tick cost stays one placement whatever `probe_every` records), and a clicked point's nearest
neighbours are looked up among them (point_details.py).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from unlearn_core import Experiment, Step, unlearn
from unlearn_core.experiment import Prepared
from unlearn_core.projection import MapProjection

from .figures import DESK, FigureStyle, MapFrame, accuracy_figure, loss_figure, map_figure

FRAME_BYTES_BUDGET = 64 * 2**20    # frames' embeddings kept per session; beyond it, frames are thinned
TRAIL_POINTS = 32                  # at most this many positions per forget sample's trail


@dataclass(frozen=True, eq=False)
class PreparedMap:
    """What every session with the same data, forget set and model shares (read-only)."""
    prep: Prepared                    # data, split (with the map's probe set), original model
    projection: MapProjection         # UMAP layout of the original model's probe embeddings
    thumbnails: list[str]             # PNG data URI per probe point, for the hover and the clicked-point panel
    original_probs: np.ndarray        # float32 [P, C]: the original model's softmax on the probe set

    def preview(self) -> MapFrame:
        """The original model's map (what step 0 of any run shows), drawn before a run starts."""
        split = self.prep.split
        xy = self.projection.place(self.projection.reference)
        return MapFrame(xy=xy, trails=xy[None], labels=self.prep.data.train_y.numpy()[split.probe],
                        predicted=self.original_probs.argmax(axis=1), confidence=self.original_probs.max(axis=1),
                        is_forget=split.probe_is_forget, train_index=split.probe,
                        class_names=self.prep.data.class_names, bounds=self.projection.bounds(), step=0,
                        title="Embedding map of the original model (step 0)")


@dataclass
class Frame:
    step: int
    predicted: np.ndarray             # int16 [P]: predicted class per probe point
    confidence: np.ndarray            # float16 [P]: the predicted class's probability
    embeddings: np.ndarray            # float16 [P, D]: placed on the map, and searched for a point's neighbours
    xy: np.ndarray | None = None      # float32 [P, 2] once placed


class LiveRun:
    def __init__(self, prepared: PreparedMap, exp: Experiment):
        self.exp = exp
        self.prep = replace(prepared.prep, exp=exp)      # shares data, split and the (never modified) original
        self.projection = prepared.projection
        self.thumbnails = prepared.thumbnails           # shared, read-only: the clicked-point panel shows them
        self.cfg = exp.unlearn_config()
        self._steps: Iterator[Step] | None = None
        # The model the generator unlearns; kept after the run stops (the generator is not) so that what
        # needs the unlearned model itself, like the member-samples section, can ask for it later.
        self.model = None
        self.frames: list[Frame] = []
        self.evaluated: list[Step] = []                 # evaluated Steps (probe dropped): curves and report
        self.losses: list[dict] = []                    # one row per optimiser step
        self.last: Step | None = None
        self.final: Step | None = None
        self.compute_seconds = 0.0                      # wall time spent advancing (engine + recording)
        # The page's download buttons build their files on another thread (st.download_button with a
        # callable), possibly while a tick records frames: frames are changed and placed under this lock.
        self.frames_lock = threading.RLock()
        split = self.prep.split
        self.probe_labels = self.prep.data.train_y.numpy()[split.probe]
        self.bounds = self.projection.bounds()

    @property
    def started(self) -> bool:
        return self._steps is not None

    @property
    def step(self) -> int:
        return self.last.step if self.last is not None else 0

    def advance(self, *, max_updates: int | None = None, budget_s: float | None = None) -> int:
        """Pull Steps from the engine until `max_updates` optimiser steps, `budget_s` seconds or the end.
        Starting pulls step 0 (the original model) first, which is not an update. Returns the number of
        optimiser steps pulled. (The page shows the original model's map before Run, see PreparedMap.preview,
        so a tick need not stop at step 0 to have something to draw: it steps for its whole budget.)"""
        start = time.perf_counter()
        pulled = 0
        try:
            if self.final is not None:
                return 0
            if self._steps is None:
                self.model = self.prep.fresh_model()
                self._steps = unlearn(self.model, self.prep.data, self.prep.split, self.cfg,
                                      method=self.exp.method, device=self.prep.device)
                self._record(next(self._steps))
            while self.final is None:
                if max_updates is not None and pulled >= max_updates:
                    break
                if budget_s is not None and time.perf_counter() - start >= budget_s:
                    break
                self._record(next(self._steps))
                pulled += 1
            return pulled
        finally:
            self.compute_seconds += time.perf_counter() - start

    def close(self) -> None:
        """Drop the generator (and its model copy) now rather than when garbage collected."""
        close = getattr(self._steps, "close", None)
        if close is not None:
            close()

    def _record(self, step: Step) -> None:
        # The engine yields each step number once, the closing Step included: every Step adds its records.
        if step.losses:
            self.losses.append({"step": step.step, "round": step.round, **step.losses})
        if step.probe is not None:
            probs = step.probe.probs
            frame = Frame(step.step, probs.argmax(axis=1).astype(np.int16), probs.max(axis=1).astype(np.float16),
                          step.probe.embeddings.astype(np.float16))
            with self.frames_lock:
                self.frames.append(frame)
                self._thin_frames()
        slim = replace(step, probe=None)     # the embeddings live in frames, once
        if step.eval is not None:
            self.evaluated.append(slim)
        self.last = slim
        if step.stop:
            self.final = slim
            self._steps = iter(())           # the generator is exhausted; self.model keeps the final weights

    def _thin_frames(self) -> None:
        """Keep the frames' embeddings within FRAME_BYTES_BUDGET by dropping every other middle frame
        (the first and the newest always stay), so a long run keeps an even sample of its history."""
        held = sum(f.embeddings.nbytes for f in self.frames)
        if held <= FRAME_BYTES_BUDGET or len(self.frames) < 4:
            return
        middle = self.frames[1:-1]
        self.frames = [self.frames[0], *middle[1::2], self.frames[-1]]

    # ---- the map ------------------------------------------------------------------------------------
    def frame_xy(self, index: int) -> np.ndarray:
        """Map coordinates of frame `index` ([P, 2]), placed on first use."""
        with self.frames_lock:
            frame = self.frames[index]
            if frame.xy is None:
                frame.xy = self.projection.place(frame.embeddings.astype(np.float32))
            return frame.xy

    def frame_index_at(self, step: int) -> int:
        """The newest frame recorded at or before `step`."""
        steps = [f.step for f in self.frames]
        return max(0, int(np.searchsorted(steps, step, side="right")) - 1)

    def trail_indices(self, index: int, dense: bool = True) -> list[int]:
        """Frames a trail passes through up to frame `index`, at most TRAIL_POINTS + 1 of them.
        dense: every `stride`-th recorded frame (a power of two, so frames placed for a shorter trail stay
        on a longer one); placing them costs a few ms each, so the live view uses dense=False: only frames
        already placed (the ones drawn so far), so that a tick places one frame whatever probe_every records."""
        candidates = range(index) if dense else [i for i in range(index) if self.frames[i].xy is not None]
        stride = 1
        while len(candidates) / stride > TRAIL_POINTS:
            stride *= 2
        return [*candidates[::stride], index]

    def trails(self, index: int, dense: bool = True) -> np.ndarray:
        """Positions [T, P, 2] of every probe point along its trail up to frame `index`."""
        return np.stack([self.frame_xy(i) for i in self.trail_indices(index, dense)])

    def map_frame(self, index: int, dense: bool = True) -> MapFrame:
        """Everything figures.map_figure needs to draw frame `index` (dense: see trail_indices)."""
        frame, split = self.frames[index], self.prep.split
        return MapFrame(xy=self.frame_xy(index), trails=self.trails(index, dense), labels=self.probe_labels,
                        predicted=frame.predicted, confidence=frame.confidence.astype(np.float32),
                        is_forget=split.probe_is_forget, train_index=split.probe,
                        class_names=self.prep.data.class_names, bounds=self.bounds, step=frame.step)

    def figures(self, index: int | None = None, live: bool = False, style: FigureStyle = DESK, trails: bool = True):
        """The page's three figures for map frame `index` (default: the newest): map, accuracy, losses.
        Scrubbed back to an earlier frame, the map says so and the curves mark the frame's step. live:
        trails through the frames drawn so far only (cheap; see trail_indices). style and trails: see
        figures.py (classroom mode draws for a projector)."""
        newest = len(self.frames) - 1
        index = newest if index is None else index
        frame = self.map_frame(index, dense=not live)
        if index != newest:
            frame = replace(frame, title=f"Embedding map, step {frame.step} (newest frame: step "
                                         f"{self.frames[newest].step})")
        split = self.prep.split
        return (map_figure(frame, style, trails),
                accuracy_figure(self.evaluated, split.mode, split.num_classes, self.final, frame.step, style),
                loss_figure(self.losses, frame.step, style))
