"""SCRUB: a student (the model) that moves away from its teacher (the frozen original) on the forget
set and stays with it on the remaining set. Kurmanji, Triantafillou, Hayes & Triantafillou, "Towards
Unbounded Machine Unlearning" (NeurIPS 2023). One of the contrastive paper's class-mode baselines.

Each round (an epoch of SCRUB's SGDA loop):
- "max" steps, in the first MAX_STEP_ROUNDS rounds only: one pass over D^u_tr (forget batches of
  cfg.batch_size) minimising -KL(teacher || student);
- "min" steps: one pass over D^r_tr (batches of RETAIN_BATCH_SIZE) minimising
  GAMMA * CE + ALPHA * KL(teacher || student).
KL is Hinton's distillation loss at temperature KD_TEMPERATURE.

Paper defaults (the released code's CIFAR settings): SGD lr 5e-4, momentum 0.9, weight decay 5e-4,
forget batch 32, retain batch 128, msteps 2, 3 epochs, T 4, alpha 0.001, gamma 0.99. Kept on digits:
lr 5e-4 had the smallest Avg. Gap of the learning rates measured (docs/COMPARE.md).

It runs its whole budget: stopping on the termination test in the middle of a max pass would skip the
min steps that repair the remaining classes, which the method depends on (SCRUB picks its epoch
count, not a stopping test); its curve still shows the test.
"""
from __future__ import annotations

import copy
from typing import Iterator

import numpy as np
import torch

from ..batches import shuffled_batches, take
from ..configs import UnlearnConfig
from ..data import ImageData
from ..devices import autocast
from ..splits import Split
from ..steps import Update
from .common import WEIGHT_DECAY, descend, kl_to_teacher, sgd

USES = ("lr", "momentum", "batch_size", "max_rounds", "seed")
STOPS_ON_TERMINATION = False
MAX_STEP_ROUNDS = 2           # msteps: rounds that begin with a max pass over D^u
RETAIN_BATCH_SIZE = 128       # sgda_batch_size
KD_TEMPERATURE = 4.0          # kd_T
ALPHA = 0.001                 # weight of the KL term on D^r
GAMMA = 0.99                  # weight of the CE term on D^r
PAPER_DEFAULTS = {"lr": 5e-4, "momentum": 0.9, "batch_size": 32, "max_rounds": 3}
DATASET_DEFAULTS: dict = {}     # the paper's values also do best on digits (docs/COMPARE.md)


def updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device,
            rng: np.random.Generator) -> Iterator[Update]:
    teacher = copy.deepcopy(model).eval().requires_grad_(False)
    opt = sgd(model.parameters(), cfg, WEIGHT_DECAY)
    model.train()

    def outputs(idx: np.ndarray):
        x, y = take(data.train_x, data.train_y, idx, device)
        with autocast(device):
            student, _ = model(x)
            with torch.no_grad():
                teacher_logits, _ = teacher(x)
        return student, teacher_logits, y

    for round_no in range(1, cfg.max_rounds + 1):
        if round_no <= MAX_STEP_ROUNDS:
            for batch in shuffled_batches(split.forget_train, cfg.batch_size, rng):
                student, teacher_logits, _ = outputs(batch)
                kl = kl_to_teacher(student, teacher_logits, KD_TEMPERATURE)
                descend(opt, -kl)
                yield Update(round_no, {"KL_forget": kl.item(), "total": -kl.item()})
        for batch in shuffled_batches(split.remain_train, RETAIN_BATCH_SIZE, rng):
            student, teacher_logits, y = outputs(batch)
            kl = kl_to_teacher(student, teacher_logits, KD_TEMPERATURE)
            ce = torch.nn.functional.cross_entropy(student.float(), y)
            loss = GAMMA * ce + ALPHA * kl
            descend(opt, loss)
            yield Update(round_no, {"KL_remain": kl.item(), "CE": ce.item(), "total": loss.item()})
