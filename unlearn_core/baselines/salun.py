"""SalUn: Random Labels restricted to the weights most salient for the forget loss. Fan, Liu, Zhang, Wong, Wei & Liu, "SalUn: Empowering Machine Unlearning
via Gradient-based Weight Saliency in Both Image Classification and Generation" (ICLR 2024).

First a weight-saliency mask: the gradient of the forget loss CE(F(X^u), Y^u) over all of D^u_tr, and a
mask of 1 on the SALIENCY_SHARE of weights with the largest |gradient| (one threshold over the whole
network, as in SalUn's generate_mask.py) and 0 elsewhere. Then Random Labels (random_labels.py) with
gradients multiplied by the mask, so only the salient weights move. The mask's cost is charged to the
first step's time.

Paper defaults (CIFAR-10, class-wise): mask ratio 0.5, SGD lr 0.013, momentum 0.9, weight decay 5e-4,
batch 256, 10 epochs (a round is one epoch over D^u_tr + D^r_tr). Digits: batch 64 and the learning
rate measured in docs/COMPARE.md.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from ..configs import UnlearnConfig
from ..data import ImageData
from ..splits import Split
from ..steps import Update
from .common import ce_on
from .random_labels import relabelled_updates

USES = ("lr", "momentum", "batch_size", "max_rounds", "seed")
STOPS_ON_TERMINATION = True
SALIENCY_SHARE = 0.5          # share of weights that may move (SalUn: "with_0.5.pt")
PAPER_DEFAULTS = {"lr": 0.013, "momentum": 0.9, "batch_size": 256, "max_rounds": 10}
DATASET_DEFAULTS = {("digits", "class"): {"lr": 0.013, "batch_size": 64},
                    ("digits", "sample"): {"lr": 0.013, "batch_size": 64}}


def saliency_mask(model: torch.nn.Module, data: ImageData, split: Split, batch_size: int, device: torch.device,
                  share: float = SALIENCY_SHARE) -> dict[str, torch.Tensor]:
    """Parameter name -> float 0/1 tensor: 1 on the `share` of all weights with the largest |d CE_forget|."""
    model.zero_grad(set_to_none=True)
    was_training = model.training
    model.eval()          # the gradient of the model as it is; no BatchNorm statistics updated
    n = len(split.forget_train)
    for i in range(0, n, batch_size):
        batch = split.forget_train[i:i + batch_size]
        (ce_on(model, data, batch, device) * (len(batch) / n)).backward()   # the mean over all of D^u
    model.train(was_training)
    grads = {name: p.grad.detach().abs() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    flat = torch.cat([g.flatten() for g in grads.values()])
    k = max(1, int(round(share * flat.numel())))
    threshold = torch.topk(flat, k, sorted=True).values[-1]
    return {name: (grads[name] >= threshold).float() if name in grads else torch.zeros_like(p)
            for name, p in model.named_parameters()}


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    mask = saliency_mask(model, data, split, cfg.batch_size, device)
    yield from relabelled_updates(model, data, split, cfg, device, rng, grad_mask=mask)
