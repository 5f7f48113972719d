"""Compute cost that any machine agrees on: floating-point operations, counted with torch's flop counter.

    meter = FlopMeter(model, data, device)    # measures one sample's forward and backward FLOPs once
    ...                                       # every forward of `model` now adds its samples' FLOPs
    meter.total                               # FLOPs spent so far (forward + backward where trained)
    meter.close()
    training_flops(model, data, device, samples=epochs * len(indices))   # a whole training recipe

torch.utils.flop_counter counts the matrix multiplications and convolutions (elementwise work is not
counted, as is usual for FLOP figures). Counting every operation of a run under the counter would slow
it and so spoil its wall-clock time; instead one sample's forward and backward FLOPs are measured once
on a copy of the model, and a forward hook counts the samples the model processes: with gradients on
and in training mode a sample costs forward + backward, otherwise forward only.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager

import torch
from torch.utils.flop_counter import FlopCounterMode

from .batches import take
from .data import ImageData

PROBE_BATCH = 2     # samples in the one measured batch (BatchNorm in training mode needs more than one)


def per_sample_flops(model: torch.nn.Module, data: ImageData, device: torch.device) -> tuple[float, float]:
    """(forward, backward) FLOPs of one training sample through `model` (measured on a copy)."""
    scratch = copy.deepcopy(model).train()
    x, _ = take(data.train_x, data.train_y, list(range(PROBE_BATCH)), device)
    with FlopCounterMode(display=False) as forward_counter:
        logits, z = scratch(x)
    with FlopCounterMode(display=False) as backward_counter:
        (logits.float().sum() + z.float().sum()).backward()
    return (forward_counter.get_total_flops() / PROBE_BATCH, backward_counter.get_total_flops() / PROBE_BATCH)


def training_flops(model: torch.nn.Module, data: ImageData, device: torch.device, samples: int) -> float:
    """FLOPs of a training recipe that passes `samples` samples forward and backward (e.g. epochs x set size)."""
    forward, backward = per_sample_flops(model, data, device)
    return samples * (forward + backward)


class FlopMeter:
    """Counts the FLOPs `model` spends from now on, from the samples its forward pass sees."""

    def __init__(self, model: torch.nn.Module, data: ImageData, device: torch.device):
        self.forward, self.backward = per_sample_flops(model, data, device)
        self.total = 0.0
        self._counting = True
        self._handle = model.register_forward_hook(self._count)

    @contextmanager
    def paused(self):
        """Forwards that are not part of the method's cost (the app's map frames) are not counted."""
        self._counting = False
        try:
            yield
        finally:
            self._counting = True

    def _count(self, module: torch.nn.Module, inputs, output) -> None:
        if not self._counting:
            return
        trained = module.training and torch.is_grad_enabled()
        self.total += inputs[0].shape[0] * (self.forward + (self.backward if trained else 0.0))

    def close(self) -> None:
        self._handle.remove()
