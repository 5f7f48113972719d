"""Baseline unlearning methods, one a module, with the contrastive method's interface.

Each module holds a generator `updates(model, data, split, cfg, device, rng) -> Iterator[Update]` (one
Update per optimiser step, changing `model` in place), its paper in the docstring, PAPER_DEFAULTS and
DATASET_DEFAULTS (UnlearnConfig field overrides), its own constants, USES (the UnlearnConfig fields it
reads) and STOPS_ON_TERMINATION. runner.py registers BASELINES in METHODS, so:

    from unlearn_core import unlearn
    from unlearn_core.baselines import method_unlearn_config
    cfg = method_unlearn_config("neggrad", "digits", "class", seed=1)
    for step in unlearn(prep.fresh_model(), prep.data, prep.split, cfg, method="neggrad"):
        ...

Not implemented: LCODEC (Mehta et al., CVPR 2022), the contrastive paper's fourth sample-mode baseline.
This package imports nothing from runner.py (runner imports it), so there is no import cycle.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..configs import TrainConfig, UnlearnConfig, default_unlearn_config
from ..errors import UserInputError
from . import (boundary_expanding, boundary_shrink, finetune, fisher, neggrad, random_labels, retrain, salun,
               scrub, unsir)

# Display order: the reference, the sample-mode baselines, the class-mode ones, then what peers ship.
MODULES = {
    "retrain": retrain, "finetune": finetune, "neggrad": neggrad, "fisher": fisher,
    "boundary_shrink": boundary_shrink, "boundary_expanding": boundary_expanding, "scrub": scrub,
    "unsir": unsir, "random_labels": random_labels, "salun": salun,
}
BASELINES = {name: module.updates for name, module in MODULES.items()}
# Methods that run their whole budget: the runner records the termination test but does not stop them.
WHOLE_BUDGET = frozenset(name for name, module in MODULES.items() if not module.STOPS_ON_TERMINATION)
# The papers' values, as UnlearnConfig overrides (docstrings give the sources).
METHOD_DEFAULTS: dict[str, dict] = {name: dict(module.PAPER_DEFAULTS) for name, module in MODULES.items()}
# Display names and one-line summaries, from each docstring's opening "Title: what it does." line.
METHOD_TITLES: dict[str, str] = {"contrastive": "Contrastive", **{
    name: module.__doc__.split(":", 1)[0].strip() for name, module in MODULES.items()}}
METHOD_SUMMARIES: dict[str, str] = {
    "contrastive": "push each forget sample's embedding away from its own class and toward the others, "
                   "with cross-entropy on the remaining data (Lee et al., IJCAI 2025)",
    **{name: " ".join(re.split(r"\.\s", module.__doc__.split(":", 1)[1])[0].split()) for name, module in MODULES.items()}}


# The baselines' papers have no termination test of their own; the runner applies the contrastive paper's
# every 4 steps to them (a round of a baseline can be a whole pass over the remaining data).
BASELINE_EVAL_EVERY = 4


def method_unlearn_config(method: str, dataset: str, mode: str = "class", paper: bool = False,
                          recipe: TrainConfig | None = None, **overrides) -> UnlearnConfig:
    """The hyperparameters `method` runs with by default: its paper's values, then (unless paper=True)
    the adaptation to the dataset and mode where there is one, then `overrides`. The contrastive method
    keeps its own defaults (configs.default_unlearn_config). `recipe` is the experiment's training recipe
    (Experiment.train_config()): the retrain method takes its budget, learning rate, momentum and batch
    from it whatever `paper` says, because it is the retrain reference run again (a longer recipe,
    --train-epochs, or the GPU recipe included), not the dataset's CPU recipe."""
    if method == "contrastive":
        return default_unlearn_config(dataset, mode, paper=paper, **overrides)
    if method not in MODULES:
        raise UserInputError(f"unknown method {method!r}; valid: contrastive, {', '.join(MODULES)}")
    module = MODULES[method]
    adapted = {} if paper else module.DATASET_DEFAULTS.get((dataset, mode), {})
    if method == "retrain" and recipe is not None:
        adapted = retrain.recipe_overrides(recipe)
    return replace(UnlearnConfig(), **{"eval_every": BASELINE_EVAL_EVERY, **module.PAPER_DEFAULTS, **adapted,
                                       **overrides})
