"""Hyperparameter sweeps on Ray Tune: space.py (what is searched), run.py (the trials), table.py (results)."""
from .run import RAY_INSTALL_HINT, SCHEDULERS, SweepOptions, eval_gap, init_ray, require_ray, run_sweep
from .space import MAX_TRIALS, Dimension, SweepSpec, describe, param_space, search_alg, searchable, trial_configs
from .table import (ERROR, NOT_TERMINATED, OBJECTIVE, REFERENCE, SETTINGS, STOPPED_EARLY, TABLE_COLUMNS, TERMINATED,
                    UTILITY_METRIC, best_trial, check_table_path, config_summary, finished_trials, pareto_front,
                    pareto_mask, read_table, results_table, run_command, trials, write_table)
