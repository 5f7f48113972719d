"""The typed records that flow out of the unlearning loop.

A method yields an Update after each optimiser step; the runner (runner.py) turns those into Steps,
adding timing, evaluation, the termination test and probe embeddings. Every consumer (CLI, app,
benchmarks, sweeps, tests) reads Steps, whatever the method.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np


class Outcome(enum.Enum):
    """Why a run stopped. The value is what reports and tables write."""
    TERMINATED = "terminated"            # the paper's test fired (possibly before any update)
    ROUND_CAP = "round cap"              # max_rounds done without the test firing
    STEP_BUDGET = "step budget"          # max_steps reached
    DIVERGED = "diverged"                # a non-finite loss or weight; the last finite weights were restored
    WHOLE_BUDGET = "whole budget"        # a method that ignores the test (retrain, SCRUB, UNSIR) ran its budget


@dataclass(frozen=True)
class Update:
    """What a method reports after one optimiser step."""
    round: int                       # 1-based pass over the forget set
    losses: dict[str, float]         # e.g. {"L_UL": ..., "L_CE": ..., "total": ...}


@dataclass(frozen=True)
class Termination:
    """The paper's stopping test at one evaluation: fired when value <= threshold."""
    rule: str                        # human-readable rule, e.g. "Acc(D^u_ts) <= 1/C"
    value: float                     # the measured accuracy
    threshold: float                 # 1/C (class) or Acc(D^ts_eval) (sample)
    fired: bool


@dataclass(frozen=True, eq=False)
class ProbeFrame:
    """Embeddings and predictions of the fixed probe set (split.probe) at one step."""
    embeddings: np.ndarray           # float32 [P, D], L2-normalised
    probs: np.ndarray                # float32 [P, C], softmax outputs


@dataclass(frozen=True, eq=False)
class Step:
    step: int                        # optimiser steps done (0: the original model, before any update)
    round: int                       # 1-based round of the last update (0 at step 0)
    losses: dict[str, float]         # the last update's loss terms ({} at step 0)
    seconds: float                   # unlearning wall time so far: updates + termination evals
    flops: float = 0.0               # unlearning FLOPs so far: updates + termination evals (flops.py)
    eval: dict[str, float] | None = None          # accuracies on the small eval sets, when evaluated
    termination: Termination | None = None        # the stopping test, when evaluated
    probe: ProbeFrame | None = None               # probe embeddings, when recorded
    embedding: dict | None = None                 # with every eval: {"own_class_knn", "centroid_margin"}
                                                  # on the probe set (leaving_cluster.py)
    metrics: dict | None = None                   # every metric on the full splits, at the last step only
    outcome: Outcome | None = None                # set on the closing Step only (the one with stop=True)
    stop_reason: str | None = None                # the outcome in words, with its figures, for people
    utility_guard: dict | None = None             # closing Step: {"drop", "margin", "tripped"} (runner.py)
    forget_outputs: Any = None                    # closing Step: metrics.Outputs on D^u_tr (for privacy_score)
    # The same work's CPU time on the engine's own thread (time.thread_time): what the run cost this process,
    # whatever else the machine did meanwhile. Complete only where torch computes on that thread (one intra-op
    # thread, a CPU device); the app records runs that way (app_ui/live/recording.py says so on the page).
    cpu_seconds: float = 0.0

    @property
    def stop(self) -> bool:
        """True on the closing Step: the runner yields exactly one, and nothing after it."""
        return self.outcome is not None

    @property
    def terminated(self) -> bool:
        return self.outcome is Outcome.TERMINATED

    def history_entry(self) -> dict:
        """A JSON-ready summary of an evaluated step (no arrays)."""
        entry = {"step": self.step, "round": self.round, "seconds": round(self.seconds, 4),
                 "cpu_seconds": round(self.cpu_seconds, 4), "flops": self.flops,
                 "losses": dict(self.losses), "eval": dict(self.eval or {})}
        if self.termination is not None:
            t = self.termination
            entry["termination"] = {"rule": t.rule, "value": t.value, "threshold": t.threshold, "fired": t.fired}
        if self.embedding is not None:
            entry["embedding"] = dict(self.embedding)
        return entry
