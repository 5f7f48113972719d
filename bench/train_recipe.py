"""What the training recipes cost on this machine's CPU, the CPU's recipe beside the GPU's fast one.

    python -m bench.train_recipe [--quick] [--digits]

1. digits, small CNN, side by side in one run, each model trained afresh once per training seed (5 seeds;
   --quick: 2), the recipes interleaved seed by seed so the machine's load falls on all alike:
   - the 30-epoch cosine recipe (SGD, lr 0.05, batch 64, 690 steps), the digits default until issue 22;
   - today's default (configs.DATASET_TRAIN_DEFAULTS["digits"]: 10 epochs, one-cycle to lr 0.05, Nesterov,
     no label smoothing, 230 steps);
   - the fast recipe's shape at lr 0.2 (one-cycle, Nesterov) with label smoothing 0.1 and without.
   Per recipe: steps, seconds a model, the time ratio over the 30-epoch recipe (total seconds over the same
   seeds), test accuracy (mean and min over the seeds), training-set accuracy, and the paper's membership
   attack on the original (metrics.mia_member_rate: the share of the forget set called "member", for 100
   random training images, forget seed 0, and for class 5). Sample-mode unlearning needs an original that
   memorised its training images: label smoothing caps the model's confidence on them, and the attack's
   member share of the 100 samples falls from about 97% to about 70%, which is why the default has none.
   A table of these figures follows the JSON.
2. ResNet-18 on SYNTHETIC CIFAR-10-shaped data (3x32x32, 10 classes; real CIFAR-10 is not needed to time a
   step): seconds per optimiser step of the CPU recipe (batch 128, cosine) and of the GPU's fast recipe
   (configs.GPU_TRAIN_DEFAULTS: batch 512, one-cycle) run on this CPU, and each recipe's projected time
   over CIFAR-10's 50,000 images. The fast recipe's GPU figures are bench/gpu_cifar.py's. --digits skips it.
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np
import torch

from unlearn_core import DataConfig, ForgetConfig, ModelConfig, load_dataset
from unlearn_core.configs import TrainConfig, default_train_config
from unlearn_core.data import image_data_from_arrays
from unlearn_core.devices import configure_threads
from unlearn_core.metrics import accuracy, evaluate_model, infer, true_class_confidence
from unlearn_core.models import build_model
from unlearn_core.splits import make_split
from unlearn_core.training import train_classifier, train_steps

from .common import median, print_figures

CIFAR_TRAIN_IMAGES = 50_000


DIGITS_30_EPOCH_COSINE = TrainConfig(epochs=30, batch_size=64, lr=0.05)    # the digits default until issue 22
DIGITS_FAST = TrainConfig(epochs=10, batch_size=64, lr=0.2, schedule="onecycle", label_smoothing=0.1, nesterov=True)
# The same shape without label smoothing: smoothing caps a model's confidence on its training images, and
# sample-mode unlearning and its membership attack need an original that is sure of the images it saw.
DIGITS_FAST_NO_SMOOTHING = replace(DIGITS_FAST, label_smoothing=0.0)
DIGITS_SEEDS = (0, 1, 2, 3, 4)
SAMPLE_FORGET = ForgetConfig(mode="sample", count=100, seed=0)     # the sample-mode tables' forget set, seed 0
CLASS_FORGET = ForgetConfig(mode="class", forget_class=5, seed=0)


def _describe(cfg: TrainConfig) -> str:
    return (f"{cfg.epochs} epochs, {cfg.schedule}, batch {cfg.batch_size}, lr {cfg.lr}, label smoothing "
            f"{cfg.label_smoothing}, nesterov {cfg.nesterov}")


def digits_original(cfg: TrainConfig, data=None, splits=None) -> dict:
    """One digits original trained afresh with `cfg` (its seed included): seconds, steps, test and training
    accuracy, and the paper's membership attack on it in both modes (share of the forget set called member:
    the original's row of the compare tables)."""
    data = data if data is not None else load_dataset(DataConfig(dataset="digits"))
    splits = splits or {m: make_split(data, f) for m, f in (("sample", SAMPLE_FORGET), ("class", CLASS_FORGET))}
    torch.manual_seed(cfg.seed)
    model = build_model(ModelConfig(), data)
    start = time.perf_counter()
    model = train_classifier(model, data, np.arange(len(data.train_y)), cfg, torch.device("cpu"), progress=lambda *a: None)
    seconds = time.perf_counter() - start
    model.eval()
    cpu = torch.device("cpu")
    sample = evaluate_model(model, data, splits["sample"], cpu)
    klass = evaluate_model(model, data, splits["class"], cpu)
    train = infer(model, data, "train", np.arange(len(data.train_y)), cpu)
    return {"recipe": _describe(cfg), "seed": cfg.seed,
            "steps": cfg.epochs * -(-len(data.train_y) // cfg.batch_size), "seconds": round(seconds, 2),
            "test_acc": round(sample["test_acc"], 4), "train_acc": round(accuracy(train), 4),
            "train_true_class_confidence_mean": round(float(true_class_confidence(train).mean()), 4),
            "sample_mia_member": round(sample["mia_member_rate"], 4),
            "sample_mia_efficacy": round(sample["mia_efficacy"], 4),
            "class_mia_member": round(klass["mia_member_rate"], 4)}


def digits_side_by_side(recipes: dict[str, TrainConfig], seeds=DIGITS_SEEDS) -> dict:
    """Every recipe trained once per seed, interleaved (seed 0 of each, then seed 1 of each, ...) so that the
    machine's load falls on all of them alike; the time ratio is each recipe's total seconds over the first's."""
    data = load_dataset(DataConfig(dataset="digits"))
    splits = {m: make_split(data, f) for m, f in (("sample", SAMPLE_FORGET), ("class", CLASS_FORGET))}
    runs: dict[str, list[dict]] = {name: [] for name in recipes}
    for seed in seeds:
        for name, cfg in recipes.items():
            runs[name].append(digits_original(replace(cfg, seed=seed), data, splits))
    base = sum(r["seconds"] for r in runs[next(iter(recipes))])
    out = {}
    for name, rs in runs.items():
        col = lambda k: [r[k] for r in rs]
        out[name] = {
            "recipe": rs[0]["recipe"], "steps": rs[0]["steps"], "seeds": list(seeds),
            "seconds_mean": round(float(np.mean(col("seconds"))), 2),
            "time_ratio_to_first": round(sum(col("seconds")) / base, 3),
            "test_acc_mean": round(float(np.mean(col("test_acc"))), 4), "test_acc_min": min(col("test_acc")),
            "train_acc_mean": round(float(np.mean(col("train_acc"))), 4), "train_acc_min": min(col("train_acc")),
            "train_confidence_mean": round(float(np.mean(col("train_true_class_confidence_mean"))), 4),
            "sample_mia_member_mean": round(float(np.mean(col("sample_mia_member"))), 4),
            "sample_mia_member_min": min(col("sample_mia_member")),
            "sample_mia_efficacy_mean": round(float(np.mean(col("sample_mia_efficacy"))), 4),
            "class_mia_member_mean": round(float(np.mean(col("class_mia_member"))), 4),
            "per_seed": rs,
        }
    return out


def resnet18_step_seconds(cfg: TrainConfig, steps: int) -> float:
    """Median seconds of an optimiser step after one warm-up step, on random CIFAR-10-shaped images."""
    rng = np.random.default_rng(0)
    n = cfg.batch_size * (steps + 1)
    x = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    data = image_data_from_arrays("cifar10-synthetic", x, rng.integers(0, 10, n), x[:10], np.arange(10),
                                  [str(c) for c in range(10)])
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="resnet18"), data)
    times, last = [], time.perf_counter()
    for _, loss in train_steps(model, data, np.arange(n), replace(cfg, epochs=1), torch.device("cpu")):
        loss.item()                      # the step is done when its loss is
        now = time.perf_counter()
        times.append(now - last)
        last = now
    return median(times[1:])


def resnet18_recipe(cfg: TrainConfig, steps: int) -> dict:
    step = resnet18_step_seconds(cfg, steps)
    steps_per_epoch = -(-CIFAR_TRAIN_IMAGES // cfg.batch_size)
    return {"recipe": f"{cfg.epochs} epochs, {cfg.schedule}, batch {cfg.batch_size}",
            "step_seconds": round(step, 3), "images_per_second": round(cfg.batch_size / step, 1),
            "epoch_minutes_projected": round(step * steps_per_epoch / 60, 1),
            "recipe_hours_projected": round(cfg.epochs * step * steps_per_epoch / 3600, 1)}


def digits_recipes() -> dict[str, TrainConfig]:
    """The 30-epoch cosine recipe first (the digits default until issue 22: the time ratios are over it), then
    today's default, then the one-cycle shape at lr 0.2 with and without label smoothing."""
    recipes = {"digits_30_epoch_cosine": DIGITS_30_EPOCH_COSINE, "digits_default": default_train_config("digits"),
               "digits_fast_lr0.2_smoothing_0.1": DIGITS_FAST, "digits_fast_lr0.2_no_smoothing": DIGITS_FAST_NO_SMOOTHING}
    unique: dict[str, TrainConfig] = {}
    for name, cfg in recipes.items():       # each recipe once, should the default become one of the others
        if cfg not in unique.values():
            unique[name] = cfg
    return unique


def run(quick: bool = False, digits_only: bool = False) -> dict:
    seeds = DIGITS_SEEDS[:2] if quick else DIGITS_SEEDS
    figures = {"digits": digits_side_by_side(digits_recipes(), seeds)}
    if not digits_only:
        cpu, fast = default_train_config("cifar10", "cpu"), default_train_config("cifar10", "cuda")
        resnet_cpu, resnet_fast = resnet18_recipe(cpu, 2 if quick else 4), resnet18_recipe(fast, 2 if quick else 3)
        figures.update({
            "resnet18_cifar_shaped_cpu_recipe": resnet_cpu,
            "resnet18_cifar_shaped_gpu_recipe_on_this_cpu": resnet_fast,
            "images_per_second_ratio_fast_over_cpu_recipe": round(resnet_fast["images_per_second"]
                                                                  / resnet_cpu["images_per_second"], 2)})
    figures.update({"data": "digits: real (scikit-learn); ResNet-18: SYNTHETIC CIFAR-10-shaped tensors",
                    "torch_threads": torch.get_num_threads()})
    return figures


def print_digits_table(digits: dict) -> None:
    print(f"{'recipe':<34}{'steps':>6}{'s/model':>9}{'time ratio':>11}{'test acc mean/min':>19}"
          f"{'train acc min':>14}{'MIA member sample/class':>25}")
    for name, r in digits.items():
        print(f"{name:<34}{r['steps']:>6}{r['seconds_mean']:>9.2f}{r['time_ratio_to_first']:>11.3f}"
              f"{100 * r['test_acc_mean']:>12.2f}/{100 * r['test_acc_min']:.2f}{100 * r['train_acc_min']:>14.2f}"
              f"{100 * r['sample_mia_member_mean']:>18.1f}/{100 * r['class_mia_member_mean']:.1f}")


if __name__ == "__main__":
    configure_threads()
    result = run(quick="--quick" in sys.argv, digits_only="--digits" in sys.argv)
    print_figures("train_recipe", result)
    print_digits_table(result["digits"])
