"""What a preset's first visit costs on this device, said before the user clicks it.

    first_visit(preset.apply(cfg).experiment())     # FirstVisit: the original's and the retrain's Estimates
    first_visit(...).describe()                     # "First visit on this device: about 40 min of training ..."
    preset_cost_text(preset, cfg)                   # the same line for a preset, or None (never raises)

A first visit trains the original model and the retrain reference (both then read from the disk cache).
Their FLOPs are counted as cost_estimate counts them (one sample's forward and backward through the
model, times epochs x training samples) and divided by the FLOP rate cost_estimate measured on this
device, so the two agree. The difference: this works before the dataset's files are on the machine (a
preset for CIFAR-10 is offered before its download), from the datasets' published shapes and sizes.
Nothing here imports Streamlit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import torch

from unlearn_core import Experiment
from unlearn_core.devices import pick_device
from unlearn_core.flops import training_flops
from unlearn_core.models import build_model

from .cost_estimate import Estimate, duration, noise_images, recipe_flop_rate

log = logging.getLogger(__name__)

# (image shape C x H x W, classes, training samples) of each dataset, as published: known without its files.
DATA_FACTS = {
    "digits": ((1, 8, 8), 10, 1437),              # scikit-learn's 1,797 digits, 80% for training
    "mnist": ((1, 28, 28), 10, 60_000),
    "fashion-mnist": ((1, 28, 28), 10, 60_000),
    "cifar10": ((3, 32, 32), 10, 50_000),
    "svhn": ((3, 32, 32), 10, 73_257),
}


@dataclass(frozen=True)
class FirstVisit:
    what: str                # "resnet18 on cifar10"
    original: Estimate
    retrain: Estimate

    @property
    def seconds(self) -> float:
        return self.original.seconds + self.retrain.seconds

    def describe(self) -> str:
        return (f"First visit on this device: about {_duration(self.seconds)} of training {self.what} (the original "
                f"model {_duration(self.original.seconds)}, the retrain reference {_duration(self.retrain.seconds)}; "
                f"{self.original.flops + self.retrain.flops:.2g} FLOPs at the {self.original.rate:.2g} FLOP/s "
                f"measured here), then read from the disk cache.")


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.0f} h" if seconds >= 2 * 3600 else duration(seconds)


def preset_cost_text(preset, current) -> str | None:
    """The first-visit line of `preset` applied to the AppConfig `current`; None when it cannot be said (an
    estimate is advice: the button works without one)."""
    try:
        found = first_visit(preset.apply(current).experiment())
    except Exception:  # noqa: BLE001 - e.g. a device that cannot be timed: no estimate rather than a broken page
        log.warning("no first-visit estimate for preset %s", preset.id, exc_info=True)
        return None
    return found.describe() if found is not None else None


@lru_cache(maxsize=16)
def _sample_flops(exp_model, dataset: str, device: str) -> float:
    shape, classes, _ = DATA_FACTS[dataset]
    data = noise_images(shape, 2, classes)        # all the model and the FLOP count need: the shape
    torch.manual_seed(0)
    return training_flops(build_model(exp_model, data), data, pick_device(device), samples=1)


def first_visit(exp: Experiment) -> FirstVisit | None:
    """The first visit's training cost for `exp`; None for a dataset of unknown size (mini-imagenet)."""
    if exp.data.dataset not in DATA_FACTS:
        return None
    _, classes, samples = DATA_FACTS[exp.data.dataset]
    one = _sample_flops(exp.model, exp.data.dataset, exp.device)
    epochs = exp.train_config().epochs
    forget = samples // classes if exp.forget.mode == "class" else exp.forget.count
    rate = recipe_flop_rate(exp, DATA_FACTS[exp.data.dataset][0])
    what = f"{exp.model.name} on {exp.data.dataset}"
    return FirstVisit(what, Estimate(f"Training the original {what}", one * epochs * samples, rate),
                      Estimate(f"Training the retrain {what}", one * epochs * (samples - forget), rate))
