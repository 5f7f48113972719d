"""Device choice: cuda, then mps, then cpu, unless the user names one; torch's CPU thread count.

torch is imported inside the functions: the app imports this module on its Start page (the device setting, the
thread count), which loads none of the engine (issue 22).
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from .configs import DEVICE_CHOICES
from .errors import UserInputError

if TYPE_CHECKING:
    import torch


def pick_device(name: str = "auto") -> torch.device:
    import torch

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
    import torch

    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


THREADS_ENV = "UNLEARN_THREADS"


def configure_threads(count: int | None = None) -> int:
    """Set torch's CPU thread count on purpose and return it: `count`, else $UNLEARN_THREADS, else the cores
    this process may run on (its affinity, not the machine's total: on a shared or containerised machine
    more threads than cores made a 0.3 s run take 8 s). Trained weights depend on it, so the model cache
    keys it (training.compute_tag)."""
    import torch

    count = thread_count(count)
    torch.set_num_threads(count)
    return count


def thread_count(count: int | None = None) -> int:
    """`count`, else $UNLEARN_THREADS, else the cores this process may run on (configure_threads)."""
    if count is None:
        text = os.environ.get(THREADS_ENV, "").strip()
        if text:
            if not text.isdigit() or int(text) < 1:
                raise UserInputError(f"{THREADS_ENV} must be a whole number >= 1, got {text!r}")
            count = int(text)
        else:
            count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return count


# What torch reads when it loads: its OpenMP pool's size and MKL's (ATen's intraop_default_num_threads).
TORCH_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
_configured_once: int | None = None


def configure_threads_once(count: int | None = None) -> int:
    """configure_threads for a process that may not need torch yet (the app: its Start page loads none of the
    engine, issue 22), once per process. Before torch is loaded, the count goes into TORCH_THREAD_VARIABLES, so
    torch starts with it in every thread whenever it loads (as do other OpenMP libraries loaded later, and child
    processes, which inherit them); where torch is loaded already (a test process), it is set as
    configure_threads sets it. (A count above the cores, which only oversubscribes them, is not kept in every
    thread then: MKL caps a thread's count at the cores.) Later calls return the count: a call while another
    thread is importing torch must not wait for that import."""
    global _configured_once
    if _configured_once is None:
        count = thread_count(count)
        if "torch" in sys.modules:
            configure_threads(count)
        else:
            for variable in TORCH_THREAD_VARIABLES:
                os.environ[variable] = str(count)
        _configured_once = count
    return _configured_once
