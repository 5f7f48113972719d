"""unlearn_core: contrastive machine unlearning (Lee et al., IJCAI 2025), headless.

    from unlearn_core import Experiment, ForgetConfig, prepare, unlearn
    prep = prepare(Experiment(forget=ForgetConfig(mode="class", forget_class=5)))   # digits, cached model
    for step in unlearn(prep.fresh_model(), prep.data, prep.split, prep.exp.unlearn_config()):
        if step.stop:
            print(step.outcome, step.stop_reason, step.metrics)

Never imports streamlit: the app, the CLI (unlearn_core.cli, which nothing imports), the benchmarks and
the tests all use this package.
"""
from .configs import (DataConfig, ForgetConfig, ModelConfig, TrainConfig, UnlearnConfig, default_train_config,
                      default_unlearn_config)
from .contrastive import contrastive_loss
from .data import ImageData, load_dataset
from .errors import UserInputError
from .experiment import (Experiment, MethodRun, Prepared, Reference, prepare, reference, run_experiment,
                         run_method)
from .metrics import evaluate_model, gaps_to_retrain
from .runner import METHODS, unlearn
from .settings import Setting, settings
from .splits import Split, make_split
from .steps import Outcome, Step, Termination
from .training import get_original, get_retrain

__all__ = [
    "DataConfig", "ForgetConfig", "ModelConfig", "TrainConfig", "UnlearnConfig", "default_train_config",
    "default_unlearn_config", "contrastive_loss", "ImageData", "load_dataset", "UserInputError", "Experiment",
    "MethodRun", "Prepared", "Reference", "prepare", "reference", "run_experiment", "run_method",
    "evaluate_model", "gaps_to_retrain", "METHODS", "unlearn", "Setting", "settings", "Split", "make_split",
    "Outcome", "Step", "Termination", "get_original", "get_retrain",
]
