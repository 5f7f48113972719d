"""unlearn_core: contrastive machine unlearning (Lee et al., IJCAI 2025), headless.

    from unlearn_core import Experiment, ForgetConfig, prepare, unlearn
    prep = prepare(Experiment(forget=ForgetConfig(mode="class", forget_class=5)))   # digits, cached model
    for step in unlearn(prep.fresh_model(), prep.data, prep.split, prep.exp.unlearn_config()):
        if step.stop:
            print(step.outcome, step.stop_reason, step.metrics)

Never imports streamlit: the app, the CLI (unlearn_core.cli, which nothing imports), the benchmarks and
the tests all use this package.
"""
from __future__ import annotations

# Light modules (dataclasses, settings, errors) are imported at once; the rest, whose modules import torch and
# scikit-learn, on first use (lazy.py): `import unlearn_core`, and `python -m unlearn_core` until a command
# runs, load neither (issue 23). `settings` must stay eager: it names a function and its submodule.
from .configs import (DataConfig, ForgetConfig, ModelConfig, TrainConfig, UnlearnConfig, default_train_config,
                      default_unlearn_config)
from .errors import UserInputError
from .experiment_config import Experiment
from .lazy import lazy_exports
from .settings import Setting, settings

__getattr__, __dir__ = lazy_exports(globals(), {
    "contrastive": ("contrastive_loss",),
    "data": ("ImageData", "load_dataset"),
    "experiment": ("MethodRun", "Prepared", "Reference", "prepare", "reference", "run_experiment", "run_method"),
    "metrics": ("evaluate_model", "gaps_to_retrain"),
    "runner": ("METHODS", "unlearn"),
    "splits": ("Split", "make_split"),
    "steps": ("Outcome", "Step", "Termination"),
    "training": ("get_original", "get_retrain"),
})

__all__ = [
    "DataConfig", "ForgetConfig", "ModelConfig", "TrainConfig", "UnlearnConfig", "default_train_config",
    "default_unlearn_config", "contrastive_loss", "ImageData", "load_dataset", "UserInputError", "Experiment",
    "MethodRun", "Prepared", "Reference", "prepare", "reference", "run_experiment", "run_method",
    "evaluate_model", "gaps_to_retrain", "METHODS", "unlearn", "Setting", "settings", "Split", "make_split",
    "Outcome", "Step", "Termination", "get_original", "get_retrain",
]
