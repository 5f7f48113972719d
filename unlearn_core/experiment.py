"""One whole experiment: data, forget set, original model, unlearning, retrain reference, report.

    exp = Experiment(forget=ForgetConfig(mode="sample", count=100))
    report = run_experiment(exp)          # the JSON object the CLI writes with --out
    report["metrics"]["unlearned"]["test_acc"], report["metrics"]["unlearned"]["avg_gap"]

`prepare()` does the expensive, shareable part once (data, split, original model); the app, the
compare command and the sweeps reuse it and run `unlearn()` themselves.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import torch

from .configs import (DataConfig, ForgetConfig, ModelConfig, TrainConfig, UnlearnConfig, config_dict,
                      default_train_config)
from .baselines import method_unlearn_config
from .data import ImageData, load_dataset
from .devices import pick_device
from .metrics import METRIC_KEYS, evaluate_model, gaps_to_retrain
from .runner import unlearn
from .splits import Split, make_split
from .steps import Step
from .training import Progress, TrainedModel, get_original, get_retrain


@dataclass(frozen=True)
class Experiment:
    data: DataConfig = DataConfig()
    forget: ForgetConfig = ForgetConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig | None = None         # None: the dataset's recipe (default_train_config)
    unlearn: UnlearnConfig | None = None     # None: the method's defaults for the dataset and mode
    method: str = "contrastive"
    device: str = "auto"
    use_cache: bool = True                   # False: train the original and retrain afresh (for timings)

    def train_config(self) -> TrainConfig:
        return self.train or default_train_config(self.data.dataset)

    def unlearn_config(self) -> UnlearnConfig:
        return self.unlearn or method_unlearn_config(self.method, self.data.dataset, self.forget.mode)


@dataclass
class Prepared:
    """The shareable part of an experiment: never modified by unlearning (models are copied)."""
    exp: Experiment
    data: ImageData
    split: Split
    original: TrainedModel
    device: torch.device

    def fresh_model(self) -> torch.nn.Module:
        """A private copy of the original model to unlearn (the original may be shared)."""
        return copy.deepcopy(self.original.model)

    def retrain(self, progress: Progress | None = None) -> TrainedModel:
        return get_retrain(self.exp.data, self.exp.model, self.exp.train_config(), self.split, data=self.data,
                           device=self.device, use_cache=self.exp.use_cache, progress=progress)


def prepare(exp: Experiment, progress: Progress | None = None) -> Prepared:
    """Load the data, draw the forget set and get the original model (trained once, then cached).
    Raises UserInputError for bad input before anything is trained or written."""
    device = pick_device(exp.device)
    exp.train_config().validate()
    exp.unlearn_config().validate()
    data = load_dataset(exp.data)
    split = make_split(data, exp.forget)
    original = get_original(exp.data, exp.model, exp.train_config(), data=data, device=device,
                            use_cache=exp.use_cache, progress=progress)
    return Prepared(exp, data, split, original, device)


def evaluated_history(steps: list[Step]) -> list[dict]:
    """One entry per evaluated step. The closing Step repeats the step number of an evaluation that fell
    on the last update (the runner learns it was the last only afterwards); the closing one is kept."""
    by_step = {s.step: s.history_entry() for s in steps if s.eval is not None}
    return list(by_step.values())


def build_report(prep: Prepared, final: Step, history: list[Step], retrain: TrainedModel,
                 original_metrics: dict | None = None, retrain_metrics: dict | None = None) -> dict:
    """The run's JSON object: configuration, outcome, metrics of original / unlearned / retrain, history."""
    exp = prep.exp
    original_metrics = original_metrics or evaluate_model(prep.original.model, prep.data, prep.split, prep.device)
    retrain_metrics = retrain_metrics or evaluate_model(retrain.model, prep.data, prep.split, prep.device)
    metrics = {}
    for name, values in (("original", original_metrics), ("unlearned", final.metrics), ("retrain", retrain_metrics)):
        row = {k: values.get(k) for k in METRIC_KEYS}
        row["avg_gap"] = gaps_to_retrain(values, retrain_metrics, exp.forget.mode)["avg_gap"]
        metrics[name] = row
    return {
        "method": exp.method,
        "dataset": exp.data.dataset,
        "model": exp.model.name,
        "mode": exp.forget.mode,
        "seed": exp.unlearn_config().seed,
        "forget": config_dict(exp.forget) | {"size": int(len(prep.split.forget_train))},
        "hyperparameters": config_dict(exp.unlearn_config()),
        "device": str(prep.device),
        "terminated": bool(final.stop_reason and final.stop_reason.startswith("terminated")),
        "stop_reason": final.stop_reason,
        "steps": final.step,
        "seconds": final.seconds,
        "retrain_seconds": retrain.seconds,
        "retrain_seconds_source": "read from the cache file (measured when it was trained)" if retrain.from_cache
        else "measured in this run",
        "speedup": retrain.seconds / final.seconds if final.seconds > 0 else None,
        "original_seconds": prep.original.seconds,
        "metrics": metrics,
        "history": evaluated_history(history),
    }


def run_experiment(exp: Experiment, on_step: Callable[[Step], None] | None = None,
                   progress: Progress | None = None) -> dict:
    """prepare, unlearn to the end, train (or load) the retrain reference, and report."""
    prep = prepare(exp, progress)
    return run_prepared(prep, on_step, progress)


def run_prepared(prep: Prepared, on_step: Callable[[Step], None] | None = None,
                 progress: Progress | None = None) -> dict:
    """Unlearn a fresh copy of prep's original model with prep.exp's method and settings, and report.
    To try other settings on the same data and original: `dataclasses.replace(prep, exp=...)`."""
    exp = prep.exp
    history = []
    for step in unlearn(prep.fresh_model(), prep.data, prep.split, exp.unlearn_config(), method=exp.method,
                        device=prep.device):
        history.append(step)
        if on_step is not None:
            on_step(step)
    retrain = prep.retrain(progress)
    return build_report(prep, history[-1], history, retrain)
