"""Contrastive unlearning (Lee et al., IJCAI 2025): the loss and the optimiser-step generator.

For each forget anchor z_i, over a remaining batch: positives P_i (same label) are pushed AWAY and
negatives N_i (other labels) pulled TOWARD, the reverse of supervised contrastive learning. With
s_ij = z_i . z_j / tau:

    sample mode:  l_i = -(1/|N_i|) sum_{a in N_i} [ s_ia - log sum_{p in P_i} exp(s_ip) ]
    class mode:   l_i = -(1/|N_i|) sum_{a in N_i} s_ia          (P_i is empty)

An anchor without positives (always in class mode, sometimes in sample mode) takes the class-mode
form, so nothing computes log(0). docs/METHOD.md adds a constant log|N_i| to the class-mode form; it has no
gradient and is left out here, so L_UL's value differs by it, not its effect.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from .batches import shuffled_batches, take
from .configs import UnlearnConfig
from .data import ImageData
from .devices import autocast
from .splits import Split
from .steps import Update


def contrastive_loss(z_anchor: torch.Tensor, y_anchor: torch.Tensor, z_remain: torch.Tensor,
                     y_remain: torch.Tensor, tau: float) -> torch.Tensor:
    """L_UL: the mean of l_i over anchors. z_*: [A, D] and [B, D], L2-normalised; y_*: [A], [B]."""
    sim = z_anchor.float() @ z_remain.float().T / tau                  # [A, B]
    positive = y_anchor[:, None] == y_remain[None, :]                  # [A, B]
    negative = ~positive
    n_neg = negative.sum(dim=1)                                         # [A]
    mean_neg_sim = (sim * negative).sum(dim=1) / n_neg.clamp(min=1)    # [A]
    # log sum over positives; -inf where an anchor has none, then replaced by 0 (the class-mode form).
    log_pos = torch.logsumexp(sim.masked_fill(~positive, float("-inf")), dim=1)
    has_pos = positive.any(dim=1)
    per_anchor = -mean_neg_sim + torch.where(has_pos, log_pos, torch.zeros_like(log_pos))
    counted = n_neg > 0                          # an anchor with no negatives has nothing to pull toward
    if not counted.any():
        return sim.sum() * 0.0                   # a zero that keeps the graph
    return per_anchor[counted].mean()


def contrastive_updates(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig,
                        device: torch.device, rng: np.random.Generator) -> Iterator[Update]:
    """One Update per optimiser step on L = lambda_UL * L_UL + lambda_CE * CE(F(X^r), Y^r).

    Each forget batch (the anchors) is paired with omega remaining batches drawn at random from
    D^r_tr (the reference code reuses the first omega batches in dataset order; the paper says
    random, and random is right). A pass over all forget batches is one round."""
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=0.0)
    model.train()
    remain_size = min(cfg.batch_size, len(split.remain_train))
    for round_no in range(1, cfg.max_rounds + 1):
        for forget_batch in shuffled_batches(split.forget_train, cfg.batch_size, rng):
            xu, yu = take(data.train_x, data.train_y, forget_batch, device)
            for _ in range(cfg.omega):
                remain_batch = rng.choice(split.remain_train, size=remain_size, replace=False)
                xr, yr = take(data.train_x, data.train_y, remain_batch, device)
                with autocast(device):
                    logits, z = model(torch.cat([xu, xr]))              # one pass for both batches
                n = len(xu)
                loss_ul = contrastive_loss(z[:n], yu, z[n:], yr, cfg.tau)
                loss_ce = F.cross_entropy(logits[n:].float(), yr)
                loss = cfg.lambda_ul * loss_ul + cfg.lambda_ce * loss_ce
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                yield Update(round_no, {"L_UL": loss_ul.item(), "L_CE": loss_ce.item(), "total": loss.item()})
