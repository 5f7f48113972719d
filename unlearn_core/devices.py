"""Device choice: cuda, then mps, then cpu, unless the user names one."""
from __future__ import annotations

import os

import torch

from .configs import DEVICE_CHOICES
from .errors import UserInputError


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name not in DEVICE_CHOICES:
        raise UserInputError(f"unknown device {name!r}; valid: {', '.join(DEVICE_CHOICES)}")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserInputError("device 'cuda' asked for but no CUDA GPU is available; use --device cpu or auto")
    if name == "mps" and not torch.backends.mps.is_available():
        raise UserInputError("device 'mps' asked for but MPS is not available; use --device cpu or auto")
    return torch.device(name)


def autocast(device: torch.device):
    """Mixed precision where it is safe: bf16 autocast on CUDA (no loss scaling needed), off elsewhere."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


THREADS_ENV = "UNLEARN_THREADS"


def configure_threads(count: int | None = None) -> int:
    """Set torch's CPU thread count on purpose and return it: `count`, else $UNLEARN_THREADS, else the cores
    this process may run on (its affinity, not the machine's total: on a shared or containerised machine
    more threads than cores made a 0.3 s run take 8 s). Trained weights depend on it, so the model cache
    keys it (training.compute_tag)."""
    if count is None:
        text = os.environ.get(THREADS_ENV, "").strip()
        if text:
            if not text.isdigit() or int(text) < 1:
                raise UserInputError(f"{THREADS_ENV} must be a whole number >= 1, got {text!r}")
            count = int(text)
        else:
            count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(count)
    return count
