"""Pieces several baselines share: optimisers, batch draws, the encoder's raw features, a KL term.

Every baseline is a generator (model, data, split, cfg, device, rng) -> Update, one per optimiser step,
that changes `model` in place; the runner (runner.py) does the timing, evaluation and stopping.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..batches import take
from ..configs import UnlearnConfig
from ..data import ImageData
from ..devices import autocast
from ..splits import Split

# The L2 penalty of the SGD recipes the sample-mode baselines come with (SalUn's code base, SCRUB's).
WEIGHT_DECAY = 5e-4


def sgd(params, cfg: UnlearnConfig, weight_decay: float = 0.0) -> torch.optim.SGD:
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=weight_decay)


def descend(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimiser step down `loss` (pass -loss to climb it, as gradient ascent does)."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def remain_batch(split: Split, size: int, rng: np.random.Generator) -> np.ndarray:
    """A random batch of D^r_tr (without replacement within the batch)."""
    return rng.choice(split.remain_train, size=min(size, len(split.remain_train)), replace=False)


def ce_on(model: torch.nn.Module, data: ImageData, idx: np.ndarray, device: torch.device,
          labels: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of the model on training rows idx, against `labels` (all N training labels, possibly
    rewritten) or the true ones."""
    xb, yb = take(data.train_x, data.train_y if labels is None else labels, idx, device)
    with autocast(device):
        logits, _ = model(xb)
    return F.cross_entropy(logits.float(), yb)


def features(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The encoder's unnormalised features h, [B, feature_dim]: what the classifier head reads. (The
    model's forward returns head(h) and normalised h; Boundary Expanding needs h itself to feed an
    extra output neuron.)"""
    return model.encoder((x - model.mean) / model.std)


def kl_to_teacher(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) on temperature-softened outputs, times T^2 (Hinton et al.'s distillation
    loss, as SCRUB uses it); mean over the batch."""
    log_p_student = F.log_softmax(student_logits.float() / temperature, dim=1)
    p_teacher = F.softmax(teacher_logits.float() / temperature, dim=1)
    return F.kl_div(log_p_student, p_teacher, reduction="batchmean") * temperature ** 2


def random_other_labels(labels: torch.Tensor, num_classes: int, generator: torch.Generator) -> torch.Tensor:
    """A uniformly random label different from each given one: (y + U{1..C-1}) mod C."""
    shift = torch.randint(1, num_classes, labels.shape, generator=generator)
    return (labels + shift) % num_classes


def torch_generator(rng: np.random.Generator) -> torch.Generator:
    """A CPU torch generator seeded from the run's numpy generator, so torch-side draws repeat too."""
    return torch.Generator().manual_seed(int(rng.integers(2 ** 63 - 1)))
