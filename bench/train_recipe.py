"""What the training recipes cost on this machine's CPU, the CPU's recipe beside the GPU's fast one.

    python -m bench.train_recipe [--quick]

1. digits, small CNN: the dataset's recipe (30 epochs, SGD + cosine, batch 64) beside the fast recipe's
   shape (one-cycle, Nesterov, label smoothing 0.1) at 10 epochs, each trained afresh: seconds, optimiser
   steps and test accuracy.
2. ResNet-18 on SYNTHETIC CIFAR-10-shaped data (3x32x32, 10 classes; real CIFAR-10 is not needed to time a
   step): seconds per optimiser step of the CPU recipe (batch 128, cosine) and of the GPU's fast recipe
   (configs.GPU_TRAIN_DEFAULTS: batch 512, one-cycle) run on this CPU, and each recipe's projected time
   over CIFAR-10's 50,000 images. The fast recipe's GPU figures are bench/gpu_cifar.py's.
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np
import torch

from unlearn_core import DataConfig, ModelConfig, load_dataset
from unlearn_core.configs import TrainConfig, default_train_config
from unlearn_core.data import image_data_from_arrays
from unlearn_core.devices import configure_threads
from unlearn_core.models import build_model
from unlearn_core.training import train_classifier, train_steps

from .common import median, print_figures

CIFAR_TRAIN_IMAGES = 50_000


DIGITS_FAST = TrainConfig(epochs=10, batch_size=64, lr=0.2, schedule="onecycle", label_smoothing=0.1, nesterov=True)


def digits_recipe(cfg: TrainConfig) -> dict:
    data = load_dataset(DataConfig(dataset="digits"))
    torch.manual_seed(cfg.seed)
    model = build_model(ModelConfig(), data)
    start = time.perf_counter()
    model = train_classifier(model, data, np.arange(len(data.train_y)), cfg, torch.device("cpu"), progress=lambda *a: None)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        logits, _ = model(data.test_x.float() / 255.0)
    return {"recipe": f"{cfg.epochs} epochs, {cfg.schedule}, batch {cfg.batch_size}, lr {cfg.lr}, label smoothing "
                      f"{cfg.label_smoothing}, nesterov {cfg.nesterov}",
            "steps": cfg.epochs * -(-len(data.train_y) // cfg.batch_size), "seconds": round(seconds, 2),
            "test_acc": round(float((logits.argmax(1) == data.test_y).float().mean()), 4)}


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


def run(quick: bool = False) -> dict:
    cpu, fast = default_train_config("cifar10", "cpu"), default_train_config("cifar10", "cuda")
    resnet_cpu, resnet_fast = resnet18_recipe(cpu, 2 if quick else 4), resnet18_recipe(fast, 2 if quick else 3)
    return {
        "digits_cpu_recipe": digits_recipe(default_train_config("digits")),
        "digits_fast_recipe_shape": digits_recipe(DIGITS_FAST),
        "resnet18_cifar_shaped_cpu_recipe": resnet_cpu,
        "resnet18_cifar_shaped_gpu_recipe_on_this_cpu": resnet_fast,
        "images_per_second_ratio_fast_over_cpu_recipe": round(resnet_fast["images_per_second"]
                                                              / resnet_cpu["images_per_second"], 2),
        "data": "digits: real (scikit-learn); ResNet-18: SYNTHETIC CIFAR-10-shaped tensors",
        "torch_threads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    configure_threads()
    print_figures("train_recipe", run(quick="--quick" in sys.argv))
