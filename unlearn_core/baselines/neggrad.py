"""NegGrad: gradient ascent on the forget set (minimise -CE(F(X^u), Y^u)). The sample-mode baseline
of Golatkar, Achille & Soatto, "Eternal Sunshine of the Spotless Net" (CVPR 2020), also "GA" in Thudi
et al., "Unrolling SGD" (EuroS&P 2022); the recipe is SalUn's "GA" (Fan et al., ICLR 2024).

Paper defaults: SGD lr 1e-4 (SalUn searches 1e-5-1e-3), momentum 0.9, weight decay 5e-4, batch 256,
5 epochs over D^u_tr (a round is one epoch). Digits: batch 64 and the learning rate measured in
docs/COMPARE.md. Nothing holds the remaining data in place, so utility falls with the forget accuracy,
which is the contrast the paper's Figure 1 draws; the runner's NaN guard catches a divergence.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from ..batches import shuffled_batches
from ..configs import UnlearnConfig
from ..data import ImageData
from ..splits import Split
from ..steps import Update
from .common import WEIGHT_DECAY, ce_on, descend, sgd

USES = ("lr", "momentum", "batch_size", "max_rounds", "seed")
STOPS_ON_TERMINATION = True
PAPER_DEFAULTS = {"lr": 1e-4, "momentum": 0.9, "batch_size": 256, "max_rounds": 5}
DATASET_DEFAULTS = {("digits", "class"): {"lr": 3e-2, "batch_size": 64},
                    ("digits", "sample"): {"lr": 3e-2, "batch_size": 64}}


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    opt = sgd(model.parameters(), cfg, WEIGHT_DECAY)
    model.train()
    for round_no in range(1, cfg.max_rounds + 1):
        for batch in shuffled_batches(split.forget_train, cfg.batch_size, rng):
            ce = ce_on(model, data, batch, device)
            descend(opt, -ce)
            yield Update(round_no, {"CE_forget": ce.item(), "total": -ce.item()})
