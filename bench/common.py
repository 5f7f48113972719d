"""Helpers shared by the benchmarks: a private model cache, medians, the machine's description."""
from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile

import torch


@contextlib.contextmanager
def private_cache():
    """A fresh, empty model cache for the duration of a benchmark (cold starts are really cold)."""
    old = os.environ.get("UNLEARN_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="unlearn-bench-") as tmp:
        os.environ["UNLEARN_CACHE_DIR"] = tmp
        try:
            yield tmp
        finally:
            if old is None:
                os.environ.pop("UNLEARN_CACHE_DIR", None)
            else:
                os.environ["UNLEARN_CACHE_DIR"] = old


def median(values) -> float:
    return float(statistics.median(values))


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def print_figures(name: str, figures: dict) -> None:
    import json

    print(f"== {name}")
    print(json.dumps(figures, indent=2))
