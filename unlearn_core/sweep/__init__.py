"""Hyperparameter sweeps on Ray Tune: space.py (what is searched), options.py (where and how it runs),
run.py (the trials), table.py (results).

space.py and options.py are imported at once and import nothing heavy: the command line checks a spec and
its options without loading torch, pandas or Ray (issue 23). The names of run.py and table.py, which do,
are imported on first use (lazy.py).
"""
from __future__ import annotations

from ..lazy import lazy_exports
from .options import RAY_INSTALL_HINT, SCHEDULERS, SweepOptions, check_table_path, require_ray
from .space import (MAX_TRIALS, SETTINGS, Dimension, SweepSpec, describe, param_space, search_alg, searchable,
                    trial_configs)

__getattr__, __dir__ = lazy_exports(globals(), {
    "run": ("eval_gap", "init_ray", "run_sweep"),
    "table": ("ERROR", "NOT_TERMINATED", "OBJECTIVE", "REFERENCE", "STOPPED_EARLY", "TABLE_COLUMNS", "TERMINATED",
              "UTILITY_METRIC", "best_trial", "config_summary", "finished_trials", "pareto_front", "pareto_mask",
              "read_table", "results_table", "run_command", "trials", "write_table"),
})
