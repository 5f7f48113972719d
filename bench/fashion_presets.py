"""The Fashion-MNIST presets' outcomes, measured as the app runs them: what their captions may claim.

    OMP_NUM_THREADS=1 UNLEARN_THREADS=1 nice -n 10 python -m bench.fashion_presets [--only fashion-mnist-sneakers]

For each preset of assets/presets.json on fashion-mnist: the preset applied to the app's defaults (CPU), the
original and the retrain reference from the model cache (trained first if missing: about 2 minutes each on
2 cores), the contrastive run to its stop, then: the outcome, the step and round it stopped at, the metrics
of the original, unlearned and retrain models, and, in class mode, where the forget class's test images go
(the classes the unlearned and the retrain model predict for them) and which other classes lost accuracy.
"""
from __future__ import annotations

import argparse
import collections

import numpy as np

from app_ui.app_config import AppConfig
from app_ui.presets import load_presets
from unlearn_core import prepare
from unlearn_core.class_outcome import class_accuracy, predicted_classes, test_outputs
from unlearn_core.devices import configure_threads
from unlearn_core.experiment import build_report, reference
from unlearn_core.metrics import infer
from unlearn_core.runner import unlearn

from .common import print_figures


def _shares(predicted: np.ndarray, names) -> dict:
    counts = collections.Counter(predicted.tolist())
    return {names[c]: round(n / len(predicted), 3) for c, n in counts.most_common(4)}


def measure(preset) -> dict:
    exp = preset.apply(AppConfig(device="cpu")).experiment()
    prep = prepare(exp)
    ref = reference(prep, evidence=None)
    cfg = exp.unlearn_config()
    model, kept = prep.fresh_model(), []
    for step in unlearn(model, prep.data, prep.split, cfg, device=prep.device):
        if step.eval is not None or step.stop:
            kept.append(step)
    report = build_report(prep, kept, ref, model)
    m = report["metrics"]
    keys = ("remain_test_acc", "forget_train_acc", "forget_test_acc") if exp.forget.mode == "class" else \
        ("test_acc", "remain_train_acc", "forget_train_acc")
    out = {"settings": dict(preset.settings), "outcome": report["outcome"], "steps": report["steps"],
           "stop_reason": report["stop_reason"], "seconds": round(report["seconds"], 1),
           "retrain_seconds": round(report["retrain_seconds"], 1),
           "flops_ratio": report["cost"].get("flops_ratio") if isinstance(report["cost"], dict) else None,
           **{f"{k}": {name: round(m[name][k], 4) for name in ("original", "unlearned", "retrain")} for k in keys},
           "mia_member": {name: m[name].get("mia_member") for name in ("original", "unlearned", "retrain")}}
    if exp.forget.mode == "class":
        names = prep.data.class_names
        forget_test = np.flatnonzero(prep.data.test_y.numpy() == exp.forget.forget_class)
        for name, net in (("unlearned", model), ("retrain", ref.retrain.model)):
            out[f"forget_test_predicted_as_{name}"] = _shares(
                predicted_classes(infer(net, prep.data, "test", forget_test, prep.device)), names)
        before = class_accuracy(test_outputs(prep.original.model, prep.data, prep.device), len(names))
        after = class_accuracy(test_outputs(model, prep.data, prep.device), len(names))
        out["class_acc_change_points"] = {names[c]: round(100 * (after[c] - before[c]), 1)
                                          for c in range(len(names)) if c != exp.forget.forget_class}
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated preset ids")
    args = parser.parse_args()
    configure_threads()
    only = {p for p in args.only.split(",") if p}
    for preset in load_presets():
        if dict(preset.settings).get("dataset") == "fashion-mnist" and (not only or preset.id in only):
            print_figures(preset.id, measure(preset))
