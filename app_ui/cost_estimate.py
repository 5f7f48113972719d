"""How long a training will take on this device, estimated before it starts: FLOPs over a measured rate.

    est = original_estimate(exp)            # est.cached: in the disk cache (nothing to train); None: unknown
    est = retrain_estimate(prep)            # the retrain reference's
    est.seconds, est.long, est.describe()   # long: minutes on this device, so the app asks before starting

The FLOPs are the engine's count (unlearn_core.flops.training_flops: one sample's forward and backward,
times epochs x samples); the rate is this device's, measured once per process by timing a few training
steps of the model to be trained (device_flop_rate). Nothing here imports Streamlit.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from unlearn_core import DataConfig, Experiment, ModelConfig, TrainConfig
from unlearn_core.data import ImageData, load_dataset
from unlearn_core.devices import pick_device
from unlearn_core.experiment import Prepared
from unlearn_core.flops import training_flops
from unlearn_core.models import build_model
from unlearn_core.training import cache_key, default_cache_dir, train_steps

from .durations import duration

log = logging.getLogger(__name__)

LONG_SECONDS = 60.0          # from here on a training counts as "minutes": the app asks before starting it
RATE_STEPS = 8               # timed training steps (after one untimed: the first pays one-off set-up)
RATE_BATCH = 64
CPU_STEP_FLOPS = 2e10        # most work in one timed step on a CPU (~0.5 s): 6 images of ResNet-18, 64 of the CNN


@dataclass(frozen=True)
class Estimate:
    what: str                # "Training the original resnet18 on cifar10"
    flops: float             # of the whole training
    rate: float              # FLOP/s measured on this device
    cached: bool = False     # the model is in the disk cache: loading it takes no training

    @property
    def seconds(self) -> float:
        return 0.0 if self.cached else self.flops / self.rate

    @property
    def long(self) -> bool:
        return self.seconds >= LONG_SECONDS

    def describe(self) -> str:
        return (f"{self.what} will take about {duration(self.seconds)} on this device ({self.flops:.2g} FLOPs "
                f"at the {self.rate:.2g} FLOP/s measured here)")


_RATE_LOCK = threading.Lock()


def device_flop_rate(device: str = "cpu", model: ModelConfig = ModelConfig(), image_shape: tuple = (1, 8, 8),
                     batch: int = RATE_BATCH) -> float:
    """FLOP/s of training steps of `model` on `device`, timed once per process and kind of training:
    a device's rate depends on the model (timed side by side on 2 CPU cores, the small CNN on digits ran
    at 6.5e10 FLOP/s and ResNet-18 at 1.15e11; on a GPU a small CNN at batch 64 only launches kernels,
    where a ResNet at batch 512 fills the chip: orders of magnitude apart). On a
    GPU the steps are the recipe's batch size, under the training's autocast; on a CPU a smaller batch,
    so that timing a ResNet takes seconds, not a minute (throughput per image there hardly depends on
    the batch). Sessions asking at once wait for one measurement (several at once would each time the
    others' load)."""
    with _RATE_LOCK:
        return _measured_flop_rate(pick_device(device).type, model, tuple(image_shape), batch)


def recipe_flop_rate(exp: Experiment, image_shape: tuple) -> float:
    """The rate at which `exp`'s original and retrain will train on its device."""
    return device_flop_rate(pick_device(exp.device).type, exp.model, image_shape, exp.train_config().batch_size)


@lru_cache(maxsize=8)
def _measured_flop_rate(device: str, model_cfg: ModelConfig, image_shape: tuple, batch: int) -> float:
    """The rate of the fastest of RATE_STEPS timed steps on noise images: a shared machine's other work only
    ever slows a step down, and a training runs for minutes, through the gaps, so the fastest step is the
    closer guess (timing all steps together measured 10-30x too slow under a load of 10 on 2 cores)."""
    dev = pick_device(device)
    data = noise_images(image_shape, 2)
    torch.manual_seed(0)
    model = build_model(model_cfg, data)
    per_sample = training_flops(model, data, dev, samples=1)
    if dev.type == "cpu":
        batch = int(max(2, min(batch, CPU_STEP_FLOPS // per_sample)))
    data = noise_images(image_shape, batch * (RATE_STEPS + 1))
    steps = train_steps(model, data, np.arange(len(data.train_y)), TrainConfig(epochs=1, batch_size=batch), dev)
    next(steps)
    fastest = float("inf")
    for _ in range(RATE_STEPS):
        start = time.perf_counter()
        next(steps)[1].item()            # the step is done (on a GPU too) when its loss is on the host
        fastest = min(fastest, time.perf_counter() - start)
    return per_sample * batch / max(fastest, 1e-9)


def noise_images(image_shape: tuple, count: int, classes: int = 10) -> ImageData:
    """`count` images of random pixels, labelled 0 .. classes-1 in turn: all that a timed step or a FLOP
    count needs. Not black images: training on them drives values into denormal floats, which a CPU
    computes 10-20x slower (a ResNet-18 step went from 0.2 s to 3 s after three steps)."""
    images = torch.randint(0, 256, (count, *image_shape), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(count) % classes
    return ImageData("placeholder", images, labels, images[:2], labels[:2], tuple(map(str, range(classes))),
                     (0.5,) * image_shape[0], (0.25,) * image_shape[0])


def original_estimate(exp: Experiment) -> Estimate | None:
    """The original model's training; None when it cannot be estimated (the data is not on this machine:
    preparing then says so itself)."""
    if _in_cache("original", exp, None):
        return Estimate(_what("original", exp), 0.0, 1.0, cached=True)
    try:
        flops = _recipe_flops(exp.data, exp.model, exp.train_config(), exp.device)
        rate = recipe_flop_rate(exp, _image_shape(exp.data))
    except Exception:  # an estimate is advice: without one the app starts as it always did
        log.warning("no training estimate for %s", exp.model.name, exc_info=True)
        return None
    return Estimate(_what("original", exp), flops, rate)


def retrain_estimate(prep: Prepared) -> Estimate:
    exp, split = prep.exp, prep.split
    if _in_cache("retrain", exp, split.forget_train):
        return Estimate(_what("retrain", exp), 0.0, 1.0, cached=True)
    one = training_flops(build_model(exp.model, prep.data), prep.data, prep.device, samples=1)
    flops = one * exp.train_config().epochs * len(split.remain_train)
    return Estimate(_what("retrain", exp), flops, recipe_flop_rate(exp, prep.data.image_shape))


def _what(kind: str, exp: Experiment) -> str:
    return f"Training the {kind} {exp.model.name} on {exp.data.dataset}"


def _in_cache(kind: str, exp: Experiment, forget: np.ndarray | None) -> bool:
    dev = pick_device(exp.device)
    key = cache_key(kind, exp.data, exp.model, exp.train_config(), forget, dev)
    return exp.use_cache and (default_cache_dir() / f"{key}.pt").exists()


@lru_cache(maxsize=32)
def _image_shape(data_cfg: DataConfig) -> tuple:
    return tuple(load_dataset(data_cfg).image_shape)


@lru_cache(maxsize=32)
def _recipe_flops(data_cfg: DataConfig, model_cfg: ModelConfig, train: TrainConfig, device: str) -> float:
    """FLOPs of training the original: the recipe's epochs over every training sample (cached: it loads data)."""
    data = load_dataset(data_cfg)
    one = training_flops(build_model(model_cfg, data), data, pick_device(device), samples=1)
    return one * train.epochs * len(data.train_y)

