"""What the training recipe costs on this machine's CPU: the original and retrain models' recipe.

    python -m bench.train_recipe [--quick]

1. digits, small CNN, the dataset's recipe (configs.DATASET_TRAIN_DEFAULTS: 30 epochs, SGD + cosine),
   trained afresh (no cache): seconds and test accuracy.
2. ResNet-18 on SYNTHETIC CIFAR-10-shaped data (3x32x32, 10 classes; real CIFAR-10 is not needed to time a
   step): seconds per optimiser step of the same recipe (crop + flip, SGD, cosine) at batch 128, and the
   projected time of one CIFAR-10 epoch (50,000 images) and of the dataset's 30-epoch recipe.

No GPU recipe is measured here (no GPU on the development machine); bench/gpu_cifar.py is the GPU path.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import torch

from unlearn_core import DataConfig, ModelConfig, load_dataset
from unlearn_core.configs import default_train_config
from unlearn_core.data import image_data_from_arrays
from unlearn_core.devices import configure_threads
from unlearn_core.models import build_model
from unlearn_core.training import train_classifier, train_steps

from .common import median, print_figures

CIFAR_TRAIN_IMAGES = 50_000
CIFAR_BATCH = 128


def digits_original() -> dict:
    data = load_dataset(DataConfig(dataset="digits"))
    cfg = default_train_config("digits")
    torch.manual_seed(cfg.seed)
    model = build_model(ModelConfig(), data)
    start = time.perf_counter()
    model = train_classifier(model, data, np.arange(len(data.train_y)), cfg, torch.device("cpu"), progress=lambda *a: None)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        logits, _ = model(data.test_x.float() / 255.0)
    return {"digits_original_seconds": round(seconds, 2), "digits_original_epochs": cfg.epochs,
            "digits_original_test_acc": round(float((logits.argmax(1) == data.test_y).float().mean()), 4)}


def resnet18_step_seconds(steps: int) -> float:
    """Median seconds of an optimiser step after one warm-up step, on random CIFAR-10-shaped images."""
    rng = np.random.default_rng(0)
    n = CIFAR_BATCH * (steps + 1)
    x = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    data = image_data_from_arrays("cifar10-synthetic", x, rng.integers(0, 10, n), x[:10], np.arange(10),
                                  [str(c) for c in range(10)])
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="resnet18"), data)
    cfg = default_train_config("cifar10", epochs=1, batch_size=CIFAR_BATCH)
    times, last = [], time.perf_counter()
    for _, loss in train_steps(model, data, np.arange(n), cfg, torch.device("cpu")):
        loss.item()                      # the step is done when its loss is
        now = time.perf_counter()
        times.append(now - last)
        last = now
    return median(times[1:])


def run(quick: bool = False) -> dict:
    figures = digits_original()
    step = resnet18_step_seconds(2 if quick else 5)
    per_epoch = step * -(-CIFAR_TRAIN_IMAGES // CIFAR_BATCH)
    figures.update({
        "resnet18_cifar_shaped_step_seconds": round(step, 3),
        "resnet18_cifar_shaped_images_per_second": round(CIFAR_BATCH / step, 1),
        "resnet18_cifar_epoch_minutes_projected": round(per_epoch / 60, 1),
        "resnet18_cifar_30_epoch_recipe_hours_projected": round(30 * per_epoch / 3600, 1),
        "data": "digits: real (scikit-learn); ResNet-18: SYNTHETIC CIFAR-10-shaped tensors",
        "torch_threads": torch.get_num_threads(),
    })
    return figures


if __name__ == "__main__":
    configure_threads()
    print_figures("train_recipe", run(quick="--quick" in sys.argv))
