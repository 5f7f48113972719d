"""What a preset's first visit costs on this device, said before the user clicks it.

    first_visit(exp, rate)                          # FirstVisit: FLOPs of the original and the retrain, and
                                                    # their time at `rate` FLOP/s
    first_visit(...).describe()                     # "First visit on this device: about 40 min of training ..."
    preset_cost_text(preset, cfg)                   # the line for a preset: never waits (below), never raises

A first visit trains the original model and the retrain reference (both then read from the disk cache).
Their FLOPs are counted as cost_estimate counts them (one sample's forward and backward through the
model, times epochs x training samples) and divided by the FLOP rate measured on this device, so the two
agree. Both are computed in the background (background_estimates: counting and timing take seconds, the
first of them in a process the longest): until then the line says that the estimate is coming. The
difference from cost_estimate: this works before the dataset's files are on the machine (a preset for
CIFAR-10 is offered before its download), from the datasets' published shapes and sizes. Nothing here
imports Streamlit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache

from unlearn_core import Experiment

from .app_config import ViewConfig
from .background_estimates import ESTIMATES
from .durations import duration

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
    original_flops: float
    retrain_flops: float
    rate: float              # FLOP/s measured on this device

    @property
    def seconds(self) -> float:
        return (self.original_flops + self.retrain_flops) / self.rate

    def describe(self) -> str:
        flops = self.original_flops + self.retrain_flops
        return (f"First visit on this device: about {_duration(self.seconds)} of training {self.what} (the original "
                f"model {_duration(self.original_flops / self.rate)}, the retrain reference "
                f"{_duration(self.retrain_flops / self.rate)}; {flops:.2g} FLOPs at the {self.rate:.2g} FLOP/s "
                f"measured here), then read from the disk cache.")


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.0f} h" if seconds >= 2 * 3600 else duration(seconds)


ESTIMATING = "First visit: its training time on this device is being estimated (in the background)."


def preset_cost_text(preset, current) -> str | None:
    """The first-visit line of `preset` applied to the AppConfig `current`, ESTIMATING while it is computed in
    the background; None when it cannot be said (an estimate is advice: the button works without one)."""
    try:
        cfg = preset.apply(current)
    except Exception:  # noqa: BLE001 - a broken preset is reported by its own tests; the page still draws
        log.warning("no first-visit estimate for preset %s", preset.id, exc_info=True)
        return None
    if cfg.data.dataset not in DATA_FACTS:
        return None
    # Keyed by the configuration, not its Experiment: the Experiment's training recipe depends on the device's
    # type, and finding that loads torch, which the Start page never does (issue 22); the background does it.
    # How the map is drawn changes no cost.
    found = ESTIMATES.get(replace(cfg, view=ViewConfig()), lambda: measured_first_visit(cfg.experiment()))
    if found is None:
        return ESTIMATING if ESTIMATES.pending else None     # queued, or it failed (logged)
    return found.describe()


def measured_first_visit(exp: Experiment) -> FirstVisit:
    """first_visit at the rate measured on this device for `exp`'s model (timed now when not yet: seconds)."""
    from .cost_estimate import recipe_flop_rate      # imports torch: only the background estimates call this

    return first_visit(exp, recipe_flop_rate(exp, DATA_FACTS[exp.data.dataset][0]))


@lru_cache(maxsize=16)
def _sample_flops(exp_model, dataset: str, device: str) -> float:
    # The engine (torch) is imported here, in the background estimates' thread: the Start page imports this
    # module, and draws before torch is loaded (issue 22).
    import torch

    from unlearn_core.devices import pick_device
    from unlearn_core.flops import training_flops
    from unlearn_core.models import build_model

    from .cost_estimate import noise_images

    shape, classes, _ = DATA_FACTS[dataset]
    data = noise_images(shape, 2, classes)        # all the model and the FLOP count need: the shape
    torch.manual_seed(0)
    return training_flops(build_model(exp_model, data), data, pick_device(device), samples=1)


def first_visit(exp: Experiment, rate: float) -> FirstVisit | None:
    """The first visit's training cost for `exp` at `rate` FLOP/s; None for a dataset of unknown size
    (mini-imagenet)."""
    if exp.data.dataset not in DATA_FACTS:
        return None
    _, classes, samples = DATA_FACTS[exp.data.dataset]
    samples = min(samples, exp.data.train_size or samples)        # a training subset (UNLEARN_TRAIN_SIZE)
    one = _sample_flops(exp.model, exp.data.dataset, exp.device)
    epochs = exp.train_config().epochs
    forget = samples // classes if exp.forget.mode == "class" else exp.forget.count
    return FirstVisit(f"{exp.model.name} on {exp.data.dataset}", one * epochs * samples,
                      one * epochs * (samples - forget), rate)
