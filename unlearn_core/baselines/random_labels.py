"""Random Labels: relabel every forget sample with a random wrong class and fine-tune on the relabelled
forget set together with the remaining set. From Graves, Nagisetty & Ganesh, "Amnesiac Machine
Learning" (AAAI 2021); the recipe (D^u relabelled + D^r, shuffled together) is SalUn's "RL" (Fan et al.,
ICLR 2024), which is also the update SalUn masks (salun.py).

Paper defaults (SalUn's RL): SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 256, 10 epochs over
D^u_tr + D^r_tr (a round is one epoch). Digits: batch 64 and the learning rate measured in
docs/COMPARE.md. Where this differs from SalUn's code: labels are drawn among the *other* classes
(SalUn draws from all C, so a label can land on the true class, which in class mode teaches the
forget class again), once per run as in Amnesiac ML.
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
from .common import WEIGHT_DECAY, ce_on, random_other_labels, sgd, torch_generator

USES = ("lr", "momentum", "batch_size", "max_rounds", "seed")
STOPS_ON_TERMINATION = True
PAPER_DEFAULTS = {"lr": 0.01, "momentum": 0.9, "batch_size": 256, "max_rounds": 10}
DATASET_DEFAULTS = {("digits", "class"): {"lr": 0.01, "batch_size": 64},
                    ("digits", "sample"): {"lr": 0.01, "batch_size": 64}}


def relabelled_updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig,
                       device: torch.device, rng: np.random.Generator,
                       grad_mask: dict[str, torch.Tensor] | None = None) -> Iterator[Update]:
    """Fine-tune on D^u (random wrong labels) + D^r (true labels). With grad_mask (parameter name ->
    0/1 tensor), only the weights where the mask is 1 receive gradient: SalUn."""
    labels = data.train_y.clone()                       # all N training labels; forget rows rewritten
    forget = torch.as_tensor(split.forget_train, dtype=torch.long)
    labels[forget] = random_other_labels(labels[forget], data.num_classes, torch_generator(rng))
    everything = np.concatenate([split.forget_train, split.remain_train])
    opt = sgd(model.parameters(), cfg, WEIGHT_DECAY)
    masked = [(p, grad_mask[name]) for name, p in model.named_parameters()] if grad_mask is not None else []
    model.train()
    for round_no in range(1, cfg.max_rounds + 1):
        for batch in shuffled_batches(everything, cfg.batch_size, rng):
            loss = ce_on(model, data, batch, device, labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            for p, mask in masked:
                if p.grad is not None:
                    p.grad.mul_(mask)
            opt.step()
            yield Update(round_no, {"CE": loss.item()})


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    return relabelled_updates(model, data, split, cfg, device, rng)
