"""Retrain: the gold standard, run as a method so that its curve, time and metrics sit beside the others.

A fresh initialisation (seeded with the run's seed) trained with cross-entropy on D^r_tr alone, with
the original model's recipe (training.train_steps: SGD, momentum, weight decay, and the dataset's schedule,
label smoothing and Nesterov setting on this kind of device, configs.default_train_config):
exact unlearning, as in every unlearning paper since Cao & Yang, "Towards Making Systems Forget with
Machine Unlearning" (IEEE S&P 2015). One Update per optimiser step; a round is one epoch.

Defaults: the experiment's training recipe, the one its retrain reference is trained with (--train-epochs and
the GPU recipe included; without an experiment, the dataset's CPU recipe, configs.DATASET_TRAIN_DEFAULTS),
mapped onto UnlearnConfig: max_rounds = epochs, lr, momentum, batch_size; weight decay is the recipe's. With the recipe's seed (0)
this reproduces the cached retrain reference exactly; other seeds show how far two retrains differ,
the noise floor under every Avg. Gap.

It runs its whole budget: a fresh model "passes" the termination test after a few steps because it has
never seen the forget class, long before it is a usable classifier.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import numpy as np
import torch

from ..configs import DATASET_TRAIN_DEFAULTS, MODES, TrainConfig, UnlearnConfig, default_train_config
from ..data import ImageData
from ..models import build_model
from ..splits import Split
from ..steps import Update
from ..training import train_steps

USES = ("lr", "momentum", "batch_size", "max_rounds", "seed")
STOPS_ON_TERMINATION = False
EVAL_EVERY = 20      # it never stops on the test, so evaluations only draw its curve: fewer of them


def recipe_overrides(recipe: TrainConfig) -> dict:
    """A training recipe as UnlearnConfig fields (the weight decay stays the recipe's)."""
    return {"max_rounds": recipe.epochs, "lr": recipe.lr, "momentum": recipe.momentum,
            "batch_size": recipe.batch_size, "eval_every": EVAL_EVERY}


PAPER_DEFAULTS = recipe_overrides(TrainConfig())
DATASET_DEFAULTS = {(name, mode): recipe_overrides(default_train_config(name))
                    for name in DATASET_TRAIN_DEFAULTS for mode in MODES}


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    torch.manual_seed(cfg.seed)
    # Built like the original (same registry entry, same initialisation code) and loaded into the
    # runner's model object, which is the one it evaluates.
    fresh = build_model(model.model_config, data)
    model.load_state_dict(fresh.state_dict())
    # The recipe's shape (schedule, label smoothing, Nesterov, weight decay) is the dataset's, as for the
    # cached retrain reference; the UnlearnConfig carries its budget, learning rate, momentum and batch.
    recipe = replace(default_train_config(data.name, device.type), epochs=cfg.max_rounds, lr=cfg.lr,
                     momentum=cfg.momentum, batch_size=cfg.batch_size, seed=cfg.seed)
    for epoch, loss in train_steps(model, data, split.remain_train, recipe, device):
        yield Update(epoch, {"CE": loss.item()})
