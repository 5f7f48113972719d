"""The GPU path: class unlearning with ResNet-18 on CIFAR-10, timed against retraining in one run.

    python -m bench.gpu_cifar                       # on a CUDA machine; a few minutes on one modern GPU
    python -m bench.gpu_cifar --device cpu --tiny --fast-recipe   # a smoke run of the GPU's code path on a CPU

Real CIFAR-10 when its files are in the data directory ($UNLEARN_DATA_DIR or --data-dir);
otherwise synthetic tensors of CIFAR-10's shape (50,000 + 10,000 images, 3x32x32, 10 classes),
and every output line says SYNTHETIC (its accuracies say nothing about CIFAR-10's 93% target).
The original and the retrain reference train with the device's recipe (configs.GPU_TRAIN_DEFAULTS on
CUDA: one-cycle, Nesterov, label smoothing, batch 512, bf16, channels-last, data on the GPU), each
timed and tested. Reports unlearning steps, seconds, FLOPs and peak GPU memory, the retrain's seconds
at the same recipe, and the live page's frame cost with this model: the probe set's embeddings on the
device, then placement, figure and serialisation (bench.app_frame) at 1,000 points.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import torch

from unlearn_core import DataConfig, ForgetConfig, ModelConfig, UnlearnConfig, UserInputError, load_dataset
from unlearn_core.configs import default_train_config
from unlearn_core.data import ImageData, image_data_from_arrays
from unlearn_core.devices import pick_device
from unlearn_core.metrics import evaluate_model, infer
from unlearn_core.runner import unlearn
from unlearn_core.splits import make_split
from unlearn_core.training import train_classifier
from unlearn_core.models import build_model

from .app_frame import one_size


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


def test_accuracy(model, data: ImageData, device: torch.device) -> float:
    out = infer(model, data, "test", np.arange(len(data.test_y)), device)
    return float((out.logits.argmax(1) == out.labels).float().mean())


def live_frame_cost(model, data: ImageData, split, device: torch.device, tiny: bool) -> dict:
    """What one live frame costs with this model: the probe set's embeddings on the device (the runner
    records them every step), then placement, figure and serialisation at 1,000 points (bench.app_frame)."""
    probe = split.probe
    infer(model, data, "train", probe, device)                        # warm-up: cuDNN picks its kernels
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = infer(model, data, "train", probe, device)
    embed_ms = 1000 * (time.perf_counter() - start)                   # infer() returns CPU tensors: synchronised
    page = one_size(out.embeddings.numpy(), out.labels.numpy(), 1000, repeats=1 if tiny else 5)
    return {"probe_points": len(probe), "probe_embeddings_ms": embed_ms, **page,
            "frame_ms_with_embeddings": embed_ms + page["frame_ms"]}


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.gpu_cifar")
    p.add_argument("--device", default="auto")
    p.add_argument("--data-dir")
    p.add_argument("--tiny", action="store_true", help="a few hundred images and 1 epoch: a CPU smoke run")
    p.add_argument("--epochs", type=int, help="original and retrain epochs (default: the device's recipe)")
    p.add_argument("--fast-recipe", action="store_true", help="the GPU's fast recipe on any device (a CPU smoke run)")
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
    recipe = default_train_config("cifar10", "cuda" if args.fast_recipe else device.type)
    if args.tiny or args.epochs:
        recipe = replace(recipe, epochs=1 if args.tiny else args.epochs, batch_size=min(recipe.batch_size, 64 if args.tiny else 512))
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
    original_test = test_accuracy(original, data, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    cfg = UnlearnConfig(batch_size=128 if not args.tiny else 32)          # the paper's values
    last = None
    for last in unlearn(original, data, split, cfg, device=device):
        pass
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    frame = live_frame_cost(original, data, split, device, args.tiny)     # unlearn() changed it in place
    retrain, retrain_seconds = timed_train(split.remain_train)
    retrain_metrics = evaluate_model(retrain, data, split, device)
    figures = {
        "data": source,
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else str(device),
        "recipe": f"ResNet-18, {recipe}",
        "original_train_seconds": original_seconds,
        "original_test_accuracy": original_test,
        "original_reaches_93_percent": original_test >= 0.93 if source == "real CIFAR-10" else "not applicable: SYNTHETIC data",
        "unlearn_hyperparameters": "paper defaults (tau 0.7, lambda_UL 3, lambda_CE 1, omega 4, lr 1e-3, batch 128)",
        "unlearn_steps": last.step,
        "unlearn_seconds": last.seconds,
        "unlearn_flops": last.flops,
        "steps_per_second": last.step / last.seconds if last.seconds else None,
        "outcome": last.outcome.value,
        "stop_reason": last.stop_reason,
        "peak_gpu_memory_mb_unlearning": peak,
        "retrain_seconds": retrain_seconds,
        "retrain_test_accuracy": test_accuracy(retrain, data, device),
        "speedup": retrain_seconds / last.seconds if last.seconds else None,
        "live_frame": frame,
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
