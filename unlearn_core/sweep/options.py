"""Where and how a sweep runs (SweepOptions, require_ray) and the name of its results file, checked without
importing Ray, torch or pandas: the command line refuses bad options in a fresh process at the cost of
argparse (issue 23). run.py runs the sweep with these options.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserInputError

RAY_INSTALL_HINT = "pip install -r requirements-sweep.txt  (Ray Tune, ray[tune]==2.60.0)"
SCHEDULERS = ("asha", "fifo")
TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class SweepOptions:
    """Where and how the trials run."""
    scheduler: str = "asha"              # "asha": stop trials behind at the same step; "fifo": run all to the end
    grace_steps: int | None = None       # ASHA stops no trial before this step; None: run.GRACE_ROUNDS rounds
    cpus_per_trial: float = 1.0          # CPU cores Ray reserves per trial (and torch's thread count)
    gpus_per_trial: float | None = None  # None: 1 where the cluster has GPUs and the device allows, else 0
    max_concurrent: int | None = None    # None: as many trials at once as the resources allow
    address: str | None = None           # an existing Ray cluster ("auto", "ray://head:10001"); None: local
    storage: str | None = None           # Tune's experiment folder (per-trial logs); None: temporary, removed

    def validate(self) -> None:
        if self.scheduler not in SCHEDULERS:
            raise UserInputError(f"unknown scheduler {self.scheduler!r}; valid: {', '.join(SCHEDULERS)}")
        for name, smallest in (("cpus_per_trial", 0), ("gpus_per_trial", -1), ("grace_steps", 0), ("max_concurrent", 0)):
            value = getattr(self, name)     # 0 GPUs is allowed: CPU trials on a GPU machine
            if value is not None and not (math.isfinite(value) and value > smallest):
                raise UserInputError(f"{name.replace('_', '-')} must be {'>= 0' if smallest < 0 else '> 0'}, got {value!r}")


def require_ray():
    """The `ray` module, imported (seconds, about 1 GB), or UserInputError saying how to install it."""
    try:
        import ray
        import ray.tune  # noqa: F401  (the extra is ray[tune])
    except ImportError:
        raise UserInputError(f"sweeps need Ray Tune, which is not installed; install it with: {RAY_INSTALL_HINT}") \
            from None
    return ray


def check_table_path(path: Path) -> None:
    if path.suffix not in TABLE_SUFFIXES:
        raise UserInputError(f"results file {path}: use a .csv or .parquet name")
