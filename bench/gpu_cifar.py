"""The GPU path: class unlearning with ResNet-18 on CIFAR-10, timed against retraining in one run.

    python -m bench.gpu_cifar                       # on a CUDA machine; ~5 minutes on one modern GPU
    python -m bench.gpu_cifar --device cpu --tiny   # a smoke run of the same code path on a CPU

Real CIFAR-10 when its files are in the data directory ($UNLEARN_DATA_DIR or --data-dir);
otherwise synthetic tensors of CIFAR-10's shape (50,000 + 10,000 images, 3x32x32, 10 classes),
and every output line says SYNTHETIC. Reports steps per second, time to termination, peak GPU
memory, and the retrain reference trained in the same run. The original model is trained here too
(not counted), with a short recipe sized to fit the time budget: say so beside the figures.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from unlearn_core import DataConfig, ForgetConfig, ModelConfig, UnlearnConfig, UserInputError, load_dataset
from unlearn_core.configs import TrainConfig
from unlearn_core.data import ImageData, image_data_from_arrays
from unlearn_core.devices import pick_device
from unlearn_core.metrics import evaluate_model
from unlearn_core.runner import unlearn
from unlearn_core.splits import make_split
from unlearn_core.training import train_classifier
from unlearn_core.models import build_model


def synthetic_cifar(n_train: int, n_test: int, seed: int = 0) -> ImageData:
    """Class-dependent colour blobs on noise: learnable, so unlearning has something to remove."""
    rng = np.random.default_rng(seed)
    means = rng.integers(40, 215, size=(10, 3, 1, 1))

    def make(n):
        y = rng.integers(0, 10, size=n)
        x = np.clip(means[y] + rng.normal(0, 40, size=(n, 3, 32, 32)), 0, 255).astype(np.uint8)
        return x, y

    (tx, ty), (vx, vy) = make(n_train), make(n_test)
    return image_data_from_arrays("cifar10-SYNTHETIC", tx, ty, vx, vy, [f"class{i}" for i in range(10)])


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.gpu_cifar")
    p.add_argument("--device", default="auto")
    p.add_argument("--data-dir")
    p.add_argument("--tiny", action="store_true", help="a few hundred images and 1 epoch: a CPU smoke run")
    p.add_argument("--epochs", type=int, default=15, help="original and retrain recipe (paper: more; sized for 5 min)")
    p.add_argument("--out", help="write the figures as JSON here")
    args = p.parse_args()
    device = pick_device(args.device)
    try:
        data = load_dataset(DataConfig(dataset="cifar10", data_dir=args.data_dir))
        source = "real CIFAR-10"
    except UserInputError:
        data = synthetic_cifar(50_000, 10_000)
        source = "SYNTHETIC tensors of CIFAR-10's shape (no CIFAR-10 files found)"
    if args.tiny:
        data = image_data_from_arrays(data.name, data.train_x[:600].numpy(), data.train_y[:600].numpy(), data.test_x[:200].numpy(),
                       data.test_y[:200].numpy(), data.class_names)
    recipe = TrainConfig(epochs=1 if args.tiny else args.epochs, lr=0.1, batch_size=256 if device.type == "cuda" else 64)
    split = make_split(data, ForgetConfig(mode="class", forget_class=5))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    def timed_train(indices):
        torch.manual_seed(0)
        model = build_model(ModelConfig("resnet18"), data)
        start = time.perf_counter()
        model = train_classifier(model, data, indices, recipe, device, progress=lambda d, t: None)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return model, time.perf_counter() - start

    original, original_seconds = timed_train(np.arange(len(data.train_y)))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    cfg = UnlearnConfig(batch_size=128 if not args.tiny else 32)          # the paper's values
    last = None
    for last in unlearn(original, data, split, cfg, device=device):
        pass
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    retrain, retrain_seconds = timed_train(split.remain_train)
    retrain_metrics = evaluate_model(retrain, data, split, device)
    figures = {
        "data": source,
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else str(device),
        "recipe": f"ResNet-18, SGD lr 0.1 cosine, {recipe.epochs} epochs, batch {recipe.batch_size}",
        "unlearn_hyperparameters": "paper defaults (tau 0.7, lambda_UL 3, lambda_CE 1, omega 4, lr 1e-3, batch 128)",
        "original_train_seconds": original_seconds,
        "unlearn_steps": last.step,
        "unlearn_seconds": last.seconds,
        "steps_per_second": last.step / last.seconds if last.seconds else None,
        "outcome": last.outcome.value,
        "stop_reason": last.stop_reason,
        "peak_gpu_memory_mb_unlearning": peak,
        "retrain_seconds": retrain_seconds,
        "speedup": retrain_seconds / last.seconds if last.seconds else None,
        "unlearned": last.metrics,
        "retrain": retrain_metrics,
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
