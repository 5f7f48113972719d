"""One whole experiment: data, forget set, original model, unlearning, retrain reference, report.

    exp = Experiment(forget=ForgetConfig(mode="sample", count=100))
    report = run_experiment(exp)          # the JSON object the CLI writes with --out
    report["metrics"]["unlearned"]["test_acc"], report["metrics"]["unlearned"]["avg_gap"]

`prepare()` does the expensive, shareable part once (data, split, original model) and `reference()` the
retrain reference; `run_method()` runs one method on them and builds the report. The CLI, compare, the
sweeps, the app and the benchmarks all go through these three. The Experiment dataclass is declared in
experiment_config.py (importable without torch) and is importable from here too.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Callable

import torch

from .configs import UnlearnConfig, config_dict
from .baselines import method_unlearn_config
from .data import ImageData, load_dataset
from .devices import pick_device
from .metrics import METRIC_KEYS, Outputs, evaluate_model, gaps_to_retrain, infer
from .privacy import privacy_score
from .errors import UserInputError
from .cost import run_cost
from .evidence import EvidenceConfig, model_evidence, relearn_threshold
from .experiment_config import Experiment
from .flops import training_flops
from .leaving_cluster import embedding_measures
from .runner import METHODS, evaluate_small, unlearn
from .sample_privacy import PrivacyReference, privacy_reference, sample_privacy
from .settings import check_settings
from .splits import Split, make_split
from .steps import Outcome, Step
from .training import Progress, TrainedModel, get_original, get_retrain


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
    check_settings(exp)
    for part in (exp.data, exp.forget, exp.model):
        part.validate()
    device = pick_device(exp.device)
    exp.train_config().validate()
    exp.unlearn_config().validate()
    data = load_dataset(exp.data)
    split = make_split(data, exp.forget)
    original = get_original(exp.data, exp.model, exp.train_config(), data=data, device=device,
                            use_cache=exp.use_cache, progress=progress)
    return Prepared(exp, data, split, original, device)


@dataclass
class Reference:
    """What every run on one prepared experiment is measured against: built once, shared by all methods."""
    retrain: TrainedModel            # the gold standard: retrained without the forget set (trained once, cached)
    original_metrics: dict           # every metric of the original model on the full splits
    retrain_metrics: dict            # every metric of the retrain model on the full splits
    retrain_eval: dict               # the retrain model's accuracies on the small eval sets (never the test sets)
    retrain_flops: float = 0.0       # FLOPs of the retrain's whole training (flops.training_flops)
    retrain_forget: Outputs | None = None   # the retrain model's outputs on D^u_tr: what privacy_score compares with
    retrain_embedding: dict | None = None   # the retrain model's leaving-the-cluster numbers (leaving_cluster.py)
    # Does it really forget? (evidence.py) The relearning test and the embedding probe of the original and the
    # retrain model, {"original": {"relearn", "probe"}, "retrain": {...}}; None when reference(evidence=None).
    evidence: dict | None = None
    evidence_config: EvidenceConfig | None = None
    relearn_threshold: float | None = None  # the same threshold for every model (evidence.relearn_threshold)
    privacy: PrivacyReference | None = None  # N retrain models' phi on D^u_tr (sample_privacy.py); opt-in


@dataclass
class MethodRun:
    report: dict                     # the run's JSON object (what `run --out` writes)
    steps: list[Step]                # the evaluated or probed Steps, the closing one last (curves, maps)


def reference(prep: Prepared, progress: Progress | None = None,
              evidence: EvidenceConfig | None = EvidenceConfig(), privacy_models: int = 0) -> Reference:
    """The retrain reference (trained once, then cached) and the metrics of the original and the retrain.
    `evidence`: the relearning test and the embedding probe of both (evidence.py; None: skip them, and then
    run_method skips them for the unlearned model too). `privacy_models` N > 0: also the N-model reference of
    the per-sample privacy test (sample_privacy.py: N retrain models, each trained once and cached)."""
    retrain = prep.retrain(progress)
    recipe = prep.exp.train_config()
    ref = Reference(retrain=retrain,
                    original_metrics=evaluate_model(prep.original.model, prep.data, prep.split, prep.device),
                    retrain_metrics=evaluate_model(retrain.model, prep.data, prep.split, prep.device),
                    retrain_eval=evaluate_small(retrain.model, prep.data, prep.split, prep.device),
                    retrain_flops=training_flops(retrain.model, prep.data, prep.device,
                                                 samples=recipe.epochs * len(prep.split.remain_train)),
                    retrain_forget=infer(retrain.model, prep.data, "train", prep.split.forget_train, prep.device),
                    retrain_embedding=embedding_measures(retrain.model, prep.data, prep.split, prep.device))
    ref.original_metrics["privacy_score"] = forget_privacy(
        ref, infer(prep.original.model, prep.data, "train", prep.split.forget_train, prep.device))
    ref.retrain_metrics["privacy_score"] = 1.0      # retrain against itself: indistinguishable by definition
    if evidence is not None:
        add_evidence(prep, ref, evidence)
    if privacy_models:
        ref.privacy = privacy_reference(prep, privacy_models, progress)
    return ref


def add_evidence(prep: Prepared, ref: Reference, cfg: EvidenceConfig = EvidenceConfig()) -> None:
    """The relearning test and the probe of the original and the retrain model, kept on `ref`."""
    ref.evidence_config = cfg
    ref.relearn_threshold = relearn_threshold(prep.original.model, prep.data, prep.split, prep.device, cfg)
    ref.evidence = {name: model_evidence(model, prep.data, prep.split, prep.device, ref.relearn_threshold, cfg)
                    for name, model in (("original", prep.original.model), ("retrain", ref.retrain.model))}


def unlearned_evidence(prep: Prepared, ref: Reference, model: torch.nn.Module | None) -> dict:
    """The report's "evidence" (original / unlearned / retrain; unlearned None without the model or without
    the reference's evidence) and "sample_privacy" (None unless the reference has its N models)."""
    evidence = None
    if ref.evidence is not None:
        mine = None if model is None else model_evidence(model, prep.data, prep.split, prep.device,
                                                         ref.relearn_threshold, ref.evidence_config)
        evidence = {"original": ref.evidence["original"], "unlearned": mine, "retrain": ref.evidence["retrain"]}
    privacy = None if ref.privacy is None or model is None else sample_privacy(model, prep, ref.privacy)
    return {"evidence": evidence, "sample_privacy": privacy}


def forget_privacy(ref: Reference, forget_outputs) -> float | None:
    """privacy_score of a model's outputs on D^u_tr against the retrain model's (None without either)."""
    if ref.retrain_forget is None or forget_outputs is None:
        return None
    return privacy_score(forget_outputs, ref.retrain_forget)


def build_report(prep: Prepared, steps: list[Step], ref: Reference, model: torch.nn.Module | None = None) -> dict:
    """The run's JSON object: configuration, outcome, metrics of original / unlearned / retrain, history.
    `steps` ends with the closing Step; the history has one entry per evaluated step. `model`: the unlearned
    model, for its relearning test, probe and per-sample privacy ("evidence", "sample_privacy"; without it
    the unlearned entries are None)."""
    exp, final = prep.exp, steps[-1]
    metrics = {}
    for name, values in (("original", ref.original_metrics), ("unlearned", final.metrics),
                         ("retrain", ref.retrain_metrics)):
        row = {k: values.get(k) for k in METRIC_KEYS}
        row["avg_gap"] = gaps_to_retrain(values, ref.retrain_metrics, exp.forget.mode)["avg_gap"]
        if name == "unlearned" and row["privacy_score"] is None:
            row["privacy_score"] = forget_privacy(ref, final.forget_outputs)
        metrics[name] = row
    return {
        "method": exp.method,
        "dataset": exp.data.dataset,
        "model": exp.model.name,
        "mode": exp.forget.mode,
        "num_classes": prep.split.num_classes,
        "seed": exp.unlearn_config().seed,
        "forget": config_dict(exp.forget) | {"size": int(len(prep.split.forget_train))},
        "hyperparameters": config_dict(exp.unlearn_config()),
        "train": config_dict(exp.train_config()),      # the original's and the retrain's recipe
        "device": str(prep.device),
        "outcome": final.outcome.value,
        "terminated": final.terminated,
        "stop_reason": final.stop_reason,
        "steps": final.step,
        "seconds": final.seconds,
        "retrain_seconds": ref.retrain.seconds,
        "retrain_seconds_source": "read from the cache file (measured when it was trained)" if ref.retrain.from_cache
        else "measured in this run",
        "speedup": ref.retrain.seconds / final.seconds if final.seconds > 0 else None,
        "cost": run_cost(final, ref),
        "utility_guard": final.utility_guard,
        "original_seconds": prep.original.seconds,
        "metrics": metrics,
        # What the "unlearned" metrics measure: after a divergence, the last finite weights, not a trained model.
        "unlearned_model": (f"the last finite weights (step {final.step}), restored after the run diverged"
                            if final.outcome is Outcome.DIVERGED else f"the model at step {final.step}"),
        # Did the forget samples leave their class's cluster? In the embedding space, on the map's probe set:
        # the original (step 0), the unlearned model and the retrain target (leaving_cluster.py).
        "embedding": {"original": steps[0].embedding, "unlearned": final.embedding,
                      "retrain": ref.retrain_embedding},
        "history": [s.history_entry() for s in steps if s.eval is not None],
        # Does it really forget? {"original" | "unlearned" | "retrain": {"relearn", "probe"}} (evidence.py) and
        # the per-sample privacy of the unlearned model (sample_privacy.py, when the reference has its N models).
        **unlearned_evidence(prep, ref, model),
    }


def run_method(prep: Prepared, ref: Reference, method: str | None = None, cfg: UnlearnConfig | None = None,
               on_step: Callable[[Step], None] | None = None) -> MethodRun:
    """Unlearn a fresh copy of prep's original with `method` (default: prep.exp's) and `cfg` (default: the
    method's defaults for the dataset and mode, with prep's seed), and report against `ref`. The one
    run-and-report path: the CLI, compare, the sweeps, the app's Compare page and the benchmarks use it."""
    method = method or prep.exp.method
    if method not in METHODS:
        raise UserInputError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    if cfg is None:
        cfg = prep.exp.unlearn_config() if method == prep.exp.method else method_unlearn_config(
            method, prep.exp.data.dataset, prep.exp.forget.mode, seed=prep.exp.unlearn_config().seed)
    prep = replace(prep, exp=replace(prep.exp, method=method, unlearn=cfg))
    kept: list[Step] = []
    model = prep.fresh_model()
    for step in unlearn(model, prep.data, prep.split, cfg, method=method, device=prep.device):
        if step.eval is not None or step.probe is not None or step.stop:
            kept.append(step)
        if on_step is not None:
            on_step(step)
    return MethodRun(build_report(prep, kept, ref, model), kept)


def run_experiment(exp: Experiment, on_step: Callable[[Step], None] | None = None,
                   progress: Progress | None = None) -> dict:
    """prepare, unlearn to the end, train (or load) the retrain reference, and report."""
    prep = prepare(exp, progress)
    return run_method(prep, reference(prep, progress), on_step=on_step).report
