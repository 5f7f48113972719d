"""Boundary Expanding: give the classifier one extra "shadow" class, fine-tune so that every forget
sample is classified as the shadow class, then prune the shadow neuron: the forget samples are left in
a region that belongs to no real class. Chen, Gao, Ding, Li & Wei, "Boundary Unlearning: Rapid
Forgetting of Deep Networks via Shifting the Decision Space" (CVPR 2023). One of the contrastive
paper's class-mode baselines.

The shadow neuron is a fresh nn.Linear(feature_dim, 1) beside the model's head, reading the same
encoder features; it lives only inside this generator, so "pruning" is simply not keeping it.

Paper defaults: SGD lr 1e-5, momentum 0.9, 10 epochs over D^u_tr (a round is one epoch), batch 64. At
lr 1e-5 the small digits CNN barely moves; the digits learning rate is measured in docs/COMPARE.md.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..batches import shuffled_batches, take
from ..configs import UnlearnConfig
from ..data import ImageData
from ..devices import autocast
from ..splits import Split
from ..steps import Update
from .common import descend, features, sgd

USES = ("lr", "momentum", "batch_size", "max_rounds", "seed")
STOPS_ON_TERMINATION = True
PAPER_DEFAULTS = {"lr": 1e-5, "momentum": 0.9, "batch_size": 64, "max_rounds": 10}
DATASET_DEFAULTS = {("digits", "class"): {"lr": 1e-2}, ("digits", "sample"): {"lr": 1e-2}}


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    shadow = nn.Linear(model.head.in_features, 1).to(device)       # class index C: the shadow class
    opt = sgd([*model.parameters(), *shadow.parameters()], cfg)
    model.train()
    for round_no in range(1, cfg.max_rounds + 1):
        for batch in shuffled_batches(split.forget_train, cfg.batch_size, rng):
            xu, _ = take(data.train_x, data.train_y, batch, device)
            with autocast(device):
                h = features(model, xu)
                logits = torch.cat([model.head(h), shadow(h)], dim=1)          # [B, C + 1]
            target = torch.full((len(batch),), data.num_classes, dtype=torch.long, device=device)
            loss = F.cross_entropy(logits.float(), target)
            descend(opt, loss)
            yield Update(round_no, {"CE_shadow": loss.item()})
