"""What one experiment is: data, forget set, model, recipes, method and device (experiment.py runs it).

    exp = Experiment(forget=ForgetConfig(mode="sample", count=100), method="neggrad")
    exp.unlearn_config()       # the method's defaults for the dataset and mode, unless `unlearn` is given

Declared apart from experiment.py, and importing neither torch nor the methods until a recipe is asked
for, so that the command line can build its options from these settings and refuse bad input without
loading torch (issue 23).
"""
from __future__ import annotations

from dataclasses import dataclass

from .configs import (DEVICE_CHOICES, METHOD_NAMES, DataConfig, ForgetConfig, ModelConfig, TrainConfig,
                      UnlearnConfig, default_train_config)
from .settings import setting


@dataclass(frozen=True)
class Experiment:
    data: DataConfig = DataConfig()
    forget: ForgetConfig = ForgetConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig | None = None         # None: the dataset's recipe on the device (default_train_config)
    unlearn: UnlearnConfig | None = None     # None: the method's defaults for the dataset and mode
    method: str = setting("contrastive", "The unlearning method: contrastive (the paper's) or a baseline, which "
                          "starts from its own paper's hyperparameters adapted to the dataset (docs/COMPARE.md).",
                          label="Method", choices=METHOD_NAMES, url="-")
    device: str = setting("auto", "auto: CUDA, then MPS, then CPU.", label="Device", choices=DEVICE_CHOICES)
    use_cache: bool = True                   # False: train the original and retrain afresh (for timings)

    def train_config(self) -> TrainConfig:
        if self.train is not None:
            return self.train
        from .devices import pick_device      # torch: only when the recipe depends on the device

        return default_train_config(self.data.dataset, pick_device(self.device).type)

    def unlearn_config(self) -> UnlearnConfig:
        if self.unlearn is not None:
            return self.unlearn
        from .baselines import method_unlearn_config     # the baselines' modules import torch

        return method_unlearn_config(self.method, self.data.dataset, self.forget.mode, recipe=self.train_config())
