"""Boundary Shrink: relabel each forget sample with its nearest wrong class, found by an adversarial
step, and fine-tune on the forget set with those labels, so the forget class's decision region shrinks
into its neighbours. Chen, Gao, Ding, Li & Wei, "Boundary Unlearning: Rapid Forgetting of Deep
Networks via Shifting the Decision Space" (CVPR 2023). One of the contrastive paper's class-mode
baselines.

Per forget batch: one FGSM step of size ATTACK_BOUND (L-inf, on [0, 1] pixels) against a frozen copy
of the original model gives x_adv; the label is the original's prediction on x_adv with the true class
excluded (the paper's "nearest but incorrect" class: the released code takes the plain prediction,
which is the true class again wherever the single step does not cross the boundary, and then teaches
nothing); then one SGD step of CE(F(x), label) on the clean x.

Paper defaults: bound 0.1, SGD lr 1e-5, momentum 0.9, 10 epochs over D^u_tr (a round is one epoch),
batch 64. At lr 1e-5 the small digits CNN barely moves in 10 epochs of 3 batches; the digits learning
rate is measured in docs/COMPARE.md.
"""
from __future__ import annotations

import copy
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from ..batches import shuffled_batches, take
from ..configs import UnlearnConfig
from ..data import ImageData
from ..devices import autocast
from ..splits import Split
from ..steps import Update
from .common import descend, sgd

USES = ("lr", "momentum", "batch_size", "max_rounds", "seed")
STOPS_ON_TERMINATION = True
ATTACK_BOUND = 0.1            # FGSM step (L-inf) in [0, 1] pixel units
PAPER_DEFAULTS = {"lr": 1e-5, "momentum": 0.9, "batch_size": 64, "max_rounds": 10}
DATASET_DEFAULTS = {("digits", "class"): {"lr": 1e-2}, ("digits", "sample"): {"lr": 1e-2}}


def nearest_wrong_labels(frozen: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                         bound: float = ATTACK_BOUND) -> torch.Tensor:
    """The class an FGSM step of size `bound` pushes x toward, never y itself. x: [B, C, H, W] in [0, 1]."""
    x_adv = x.detach().clone().requires_grad_(True)
    logits, _ = frozen(x_adv)
    grad, = torch.autograd.grad(F.cross_entropy(logits.float(), y), x_adv)
    x_adv = (x + bound * grad.sign()).clamp(0.0, 1.0)
    with torch.no_grad():
        adv_logits, _ = frozen(x_adv)
        adv_logits = adv_logits.float().scatter(1, y.view(-1, 1), float("-inf"))   # exclude the true class
    return adv_logits.argmax(dim=1)


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    frozen = copy.deepcopy(model).eval().requires_grad_(False)     # the attacked model stays the original
    opt = sgd(model.parameters(), cfg)
    model.train()
    for round_no in range(1, cfg.max_rounds + 1):
        for batch in shuffled_batches(split.forget_train, cfg.batch_size, rng):
            xu, yu = take(data.train_x, data.train_y, batch, device)
            target = nearest_wrong_labels(frozen, xu, yu)
            with autocast(device):
                logits, _ = model(xu)
            loss = F.cross_entropy(logits.float(), target)
            descend(opt, loss)
            yield Update(round_no, {"CE_neighbour": loss.item()})
