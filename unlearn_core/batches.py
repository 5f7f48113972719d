"""Moving batches of uint8 images to the device as float, and seeded batch orders."""
from __future__ import annotations

import numpy as np
import torch

from .data import to_float


def take(x: torch.Tensor, y: torch.Tensor, idx: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows idx of (uint8 images, labels) as (float images in [0,1], labels) on the device. Images already
    on the device (training.train_steps keeps a dataset on a GPU) are indexed there: no host copy."""
    index = torch.as_tensor(idx, dtype=torch.long, device=x.device)
    xb = to_float(x[index]).to(device, non_blocking=True)
    if device.type == "cuda":
        xb = xb.contiguous(memory_format=torch.channels_last)
    return xb, y[index.to(y.device)].to(device, non_blocking=True)


def shuffled_batches(idx: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """idx in a random order, cut into batches (the last one may be smaller)."""
    order = rng.permutation(idx)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
