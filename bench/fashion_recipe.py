"""The CPU recipe for Fashion-MNIST: the original model and the retrain reference, trained afresh, timed.

    OMP_NUM_THREADS=2 UNLEARN_THREADS=2 nice python -m bench.fashion_recipe [--quick] [--forget-class 0]
    ... python -m bench.fashion_recipe --recipe epochs=3,batch_size=256,lr=0.2     # try another recipe

Trains, with the engine's own path (training.get_original / get_retrain, the model cache off), the small
CNN on the real Fashion-MNIST (the files of Debian's `dataset-fashion-mnist`, or the data folder's) with
the dataset's CPU recipe (configs.DATASET_TRAIN_DEFAULTS), then the retrain reference without the forget
class. Prints per model: wall-clock seconds, the process's CPU seconds (user + system: on a shared machine the
wall time grows with the others' load, the CPU time hardly does), the machine's load average before and
after, and test accuracy (the retrain's on the remaining classes' test images, D^r_ts: it never saw the
forget class, so its accuracy on the whole test set cannot pass 90%). --quick trains on a tenth of the
training set for the recipe's epochs (seconds, a check that it runs; its figures are not the recipe's).
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import numpy as np
import torch

from unlearn_core import DataConfig, ForgetConfig, ModelConfig, load_dataset
from unlearn_core.configs import TrainConfig, default_train_config
from unlearn_core.devices import configure_threads
from unlearn_core.metrics import infer
from unlearn_core.splits import make_split
from unlearn_core.training import get_original, get_retrain, train_classifier
from unlearn_core.models import build_model

from .common import print_figures

TARGET_ACC, TARGET_SECONDS = 0.90, 180.0


def _accuracy(model, data, indices) -> float:
    out = infer(model, data, "test", indices, torch.device("cpu"))
    return float((out.logits.argmax(1) == data.test_y[indices]).float().mean())


def _timed(train) -> tuple[object, dict]:
    load_before = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    trained = train()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return trained, {"seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                     "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def run(quick: bool = False, recipe: TrainConfig | None = None, forget_class: int = 0) -> dict:
    data_cfg, model_cfg = DataConfig(dataset="fashion-mnist"), ModelConfig()
    data = load_dataset(data_cfg)
    recipe = recipe or default_train_config("fashion-mnist", "cpu")
    split = make_split(data, ForgetConfig(mode="class", forget_class=forget_class))
    everything, remain_test = np.arange(len(data.test_y)), split.remain_test
    cpu = torch.device("cpu")
    figures = {"recipe": {k: getattr(recipe, k) for k in ("epochs", "batch_size", "lr", "schedule", "momentum",
                                                          "weight_decay", "label_smoothing", "nesterov")},
               "torch_threads": torch.get_num_threads(), "forget_class": forget_class}
    if quick:      # a tenth of the training set: checks the path, not the recipe's figures
        rng = np.random.default_rng(0)
        subset = rng.choice(len(data.train_y), len(data.train_y) // 10, replace=False)
        torch.manual_seed(recipe.seed)
        model, timing = _timed(lambda: train_classifier(build_model(model_cfg, data), data, subset, recipe, cpu,
                                                        progress=lambda *a: None))
        figures["quick_tenth"] = {**timing, "test_acc": round(_accuracy(model, data, everything), 4)}
        return figures
    original, timing = _timed(lambda: get_original(data_cfg, model_cfg, recipe, data=data, device=cpu,
                                                   use_cache=False, progress=lambda *a: None))
    figures["original"] = {**timing, "test_acc": round(_accuracy(original.model, data, everything), 4)}
    retrain, timing = _timed(lambda: get_retrain(data_cfg, model_cfg, recipe, split, data=data, device=cpu,
                                                 use_cache=False, progress=lambda *a: None))
    figures["retrain"] = {**timing, "remain_test_acc": round(_accuracy(retrain.model, data, remain_test), 4),
                          "test_acc": round(_accuracy(retrain.model, data, everything), 4)}
    figures["meets_target"] = bool(figures["original"]["test_acc"] >= TARGET_ACC
                                   and figures["retrain"]["remain_test_acc"] >= TARGET_ACC
                                   and max(figures["original"]["seconds"], figures["retrain"]["seconds"]) <= TARGET_SECONDS)
    return figures


def _recipe(text: str) -> TrainConfig:
    fields = {f: type(getattr(TrainConfig(), f)) for f in TrainConfig.__dataclass_fields__}
    pairs = dict(item.split("=", 1) for item in text.split(",") if item)
    cast = {k: (v.lower() in ("1", "true") if fields[k] is bool else fields[k](v)) for k, v in pairs.items()}
    return replace(default_train_config("fashion-mnist", "cpu"), **cast)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--recipe", default="", help="overrides of the CPU recipe, e.g. epochs=3,batch_size=256")
    parser.add_argument("--forget-class", type=int, default=0)
    args = parser.parse_args()
    configure_threads()
    print_figures("fashion_recipe", run(args.quick, _recipe(args.recipe), args.forget_class))
