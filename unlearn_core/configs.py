"""Frozen configuration dataclasses, one per concern.

Frozen means hashable: a config can key st.cache_resource and the on-disk model cache directly.
Every field has a default, so `UnlearnConfig()` is the paper's method and `DataConfig()` the offline
digits demo. `validate()` raises UserInputError with a one-line message on a bad value.

    from unlearn_core import DataConfig, ForgetConfig, UnlearnConfig
    data = DataConfig(dataset="digits")
    forget = ForgetConfig(mode="sample", count=100, seed=0)
    method = UnlearnConfig(lr=1e-2)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from .errors import UserInputError

MODES = ("class", "sample")


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "digits"        # registry name: digits, cifar10, svhn, mnist, fashion-mnist, mini-imagenet
    data_dir: str | None = None    # where dataset files live; None: $UNLEARN_DATA_DIR or ~/.cache/unlearn/data
    download: bool = False         # fetch missing torchvision files (never done implicitly)
    split_seed: int = 0            # seeds the train/test split of datasets that ship without one (digits)


@dataclass(frozen=True)
class ForgetConfig:
    mode: str = "class"                    # "class": forget one class; "sample": forget a set of samples
    forget_class: int = 5                  # class mode: the class id to forget (the paper's default is 5)
    count: int = 100                       # sample mode: how many random training samples to forget
    indices: tuple[int, ...] = ()          # sample mode: explicit training indices (overrides count)
    seed: int = 0                          # sample mode: seeds the random draw of the forget set

    def validate(self) -> None:
        if self.mode not in MODES:
            raise UserInputError(f"unknown mode {self.mode!r}; valid: {', '.join(MODES)}")


@dataclass(frozen=True)
class ModelConfig:
    name: str = "cnn"              # registry name: cnn, resnet18/34/50/101, vit_small


@dataclass(frozen=True)
class TrainConfig:
    """The recipe for the original model and the retrain reference (cross-entropy, SGD)."""
    epochs: int = 30               # passes over the training data
    lr: float = 0.05               # SGD learning rate, cosine-annealed to 0
    momentum: float = 0.9          # SGD momentum
    weight_decay: float = 5e-4     # L2 penalty
    batch_size: int = 64           # samples per step
    seed: int = 0                  # seeds initialisation and batch order

    def validate(self) -> None:
        _check_positive(self, ("epochs", "lr", "batch_size"))
        _check_non_negative(self, ("momentum", "weight_decay"))


@dataclass(frozen=True)
class UnlearnConfig:
    """Hyperparameters of contrastive unlearning. Defaults are the reference code's (METHOD.md)."""
    tau: float = 0.7               # temperature of the similarities s_ij = z_i . z_j / tau
    lambda_ul: float = 3.0         # weight of the unlearning (contrastive) loss L_UL
    lambda_ce: float = 1.0         # weight of cross-entropy on the remaining batch (keeps the rest in place)
    omega: int = 4                 # remaining batches (= optimiser steps) per forget batch; paper: <= 4
    lr: float = 1e-3               # SGD learning rate
    momentum: float = 0.9          # SGD momentum (no weight decay, as in the reference code)
    batch_size: int = 128          # forget batch size; the remaining batch has the same size
    max_rounds: int = 3            # a round is one pass over all forget batches; the paper caps at 3
    max_steps: int = 10_000        # hard step budget, whatever the rounds say
    eval_every: int = 4            # evaluate and test termination every this many steps (and at the end)
    probe_every: int = 0           # record probe embeddings every this many steps; 0: never
    seed: int = 0                  # seeds batch order and remaining-batch draws

    def validate(self) -> None:
        _check_positive(self, ("tau", "omega", "lr", "batch_size", "max_rounds", "max_steps", "eval_every"))
        _check_non_negative(self, ("lambda_ul", "lambda_ce", "momentum", "probe_every"))
        if self.lambda_ul == 0 and self.lambda_ce == 0:
            raise UserInputError("lambda_ul and lambda_ce are both 0: the objective is empty; set either above 0")


# Where the paper's values do not terminate within its round cap, per (dataset, mode). Anything not
# listed uses UnlearnConfig()'s paper defaults; `default_unlearn_config(..., paper=True)` ignores this.
DATASET_UNLEARN_DEFAULTS: dict[tuple[str, str], dict] = {
    # Measured on digits with the small CNN (3 seeds each; regenerate with `python bench/tune_digits.py`): at lr 1e-3
    # the class-5 forget set (3 batches of 64) needs ~5 rounds, past the paper's cap of 3. At lr 1e-2
    # every seed terminates within 2 rounds; lambda_CE 3 (the paper's finding: the CE term holds the
    # remaining data in place) keeps remaining-test accuracy within 0.6 points of the original's.
    ("digits", "class"): {"lr": 1e-2, "lambda_ce": 3.0, "batch_size": 64},
    # Sample mode's stopping test compares two accuracies that move together; evaluating every step
    # (cheap on digits) and smaller forget batches stop it before utility dips.
    ("digits", "sample"): {"lr": 1e-2, "lambda_ce": 3.0, "batch_size": 32, "eval_every": 1},
}


def default_unlearn_config(dataset: str, mode: str = "class", paper: bool = False, **overrides) -> UnlearnConfig:
    """The method's defaults for a dataset and mode; `paper=True` gives the paper's values unchanged."""
    base = {} if paper else DATASET_UNLEARN_DEFAULTS.get((dataset, mode), {})
    return replace(UnlearnConfig(), **{**base, **overrides})


# Training recipes per dataset: digits is tiny, so a few seconds of CPU training reach ~98%.
DATASET_TRAIN_DEFAULTS: dict[str, dict] = {
    "digits": {"epochs": 30, "lr": 0.05, "batch_size": 64},
    "mnist": {"epochs": 5, "lr": 0.05, "batch_size": 128},
    "fashion-mnist": {"epochs": 10, "lr": 0.05, "batch_size": 128},
    "cifar10": {"epochs": 30, "lr": 0.1, "batch_size": 128},
    "svhn": {"epochs": 15, "lr": 0.05, "batch_size": 128},
    "mini-imagenet": {"epochs": 30, "lr": 0.1, "batch_size": 128},
}


def default_train_config(dataset: str, **overrides) -> TrainConfig:
    return replace(TrainConfig(), **{**DATASET_TRAIN_DEFAULTS.get(dataset, {}), **overrides})


def _check_positive(cfg, names) -> None:
    for name in names:
        value = getattr(cfg, name)
        if not _is_finite_number(value) or value <= 0:
            raise UserInputError(f"{name.replace('_', '-')} must be a number > 0, got {value!r}")


def _check_non_negative(cfg, names) -> None:
    for name in names:
        value = getattr(cfg, name)
        if not _is_finite_number(value) or value < 0:
            raise UserInputError(f"{name.replace('_', '-')} must be a number >= 0, got {value!r}")


def _is_finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def config_dict(cfg) -> dict:
    """A plain dict of a config's fields (tuples as lists), for JSON."""
    return {f.name: (list(v) if isinstance(v := getattr(cfg, f.name), tuple) else v) for f in fields(cfg)}
