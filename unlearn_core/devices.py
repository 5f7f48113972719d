"""Device choice: cuda, then mps, then cpu, unless the user names one."""
from __future__ import annotations

import torch

from .errors import UserInputError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


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
