"""Finetune: keep training the original with cross-entropy on D^r_tr alone, and hope that the forget
data fades (catastrophic forgetting). The sample-mode baseline of Golatkar, Achille & Soatto, "Eternal
Sunshine of the Spotless Net: Selective Forgetting in Deep Networks" (CVPR 2020), as the contrastive
paper compares against it; the recipe is SalUn's "FT" (Fan et al., ICLR 2024; code of Jia et al.,
"Model Sparsity Can Simplify Machine Unlearning", NeurIPS 2023).

Paper defaults: SGD lr 0.01 (SalUn searches 0.01-0.1), momentum 0.9, weight decay 5e-4, batch 256,
10 epochs over D^r_tr (a round is one epoch). Digits (1,437 training images): batch 64; no learning rate
measured (0.01 and 0.05) removes class 5 within 10 epochs, so the paper's 0.01 stays (docs/COMPARE.md).
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
PAPER_DEFAULTS = {"lr": 0.01, "momentum": 0.9, "batch_size": 256, "max_rounds": 10}
DATASET_DEFAULTS = {("digits", "class"): {"batch_size": 64}, ("digits", "sample"): {"batch_size": 64}}


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    opt = sgd(model.parameters(), cfg, WEIGHT_DECAY)
    model.train()
    for round_no in range(1, cfg.max_rounds + 1):
        for batch in shuffled_batches(split.remain_train, cfg.batch_size, rng):
            loss = ce_on(model, data, batch, device)
            descend(opt, loss)
            yield Update(round_no, {"CE": loss.item()})
