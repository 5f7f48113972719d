"""AppConfig: everything a user sets in the app, its URL form, and the engine Experiment it stands for.

    cfg, problems = AppConfig.from_query({"mode": "sample", "count": "50", "lr": "0.02"})
    cfg.to_query()      # {"dataset": "digits", ..., "lr": "0.02", ...}: every field, seed included
    cfg.experiment()    # unlearn_core.Experiment, what the engine runs

The URL always holds the whole configuration (not only what differs from a default), so a link keeps
reproducing the same run even if a default changes later. A value in a URL that does not parse is
ignored with a one-line problem message, never a traceback.

UNLEARN_TRAIN_EPOCHS (environment) shortens the original model's training recipe: the browser test and
the benchmarks use it to stay within their time budgets; users never need it.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, replace
from typing import Mapping

from unlearn_core import DataConfig, Experiment, ForgetConfig, ModelConfig, UnlearnConfig, UserInputError
from unlearn_core.cli import HYPERPARAMETERS, non_negative_int, positive_int
from unlearn_core.configs import MODES, default_train_config, default_unlearn_config
from unlearn_core.data import DATASETS
from unlearn_core.devices import DEVICE_CHOICES
from unlearn_core.models import MODELS
from unlearn_core.splits import PROBE_SIZE

TRAIN_EPOCHS_ENV = "UNLEARN_TRAIN_EPOCHS"
FPS_CHOICES = (0.5, 1.0, 2.0, 4.0)      # live frames per second; each tick steps for 1/fps seconds
MIN_POINTS, MAX_POINTS = 20, 5000       # map size bounds: below 20 UMAP has nothing to lay out; above, SVG slows


@dataclass(frozen=True)
class AppConfig:
    dataset: str = "digits"                  # dataset registry name
    model: str = "cnn"                       # model registry name
    mode: str = "class"                      # "class" or "sample"
    forget_class: int = 5                    # class mode: the class to forget
    count: int = 100                         # sample mode: random forget samples
    indices: tuple[int, ...] = ()            # sample mode: chosen training indices (override count)
    seed: int = 0                            # seeds the forget set, the probe set and the unlearning
    device: str = "auto"                     # auto, cpu, cuda, mps
    paper_defaults: bool = False             # hyperparameters start from the paper's values, not the dataset's
    hyper: UnlearnConfig = default_unlearn_config("digits", "class")   # the method's hyperparameters
    points: int = PROBE_SIZE                 # probe samples shown in the map
    frame_every: int = 1                     # record a map frame every this many steps
    fps: float = 2.0                         # live frames per second while running

    @staticmethod
    def defaults(dataset: str = "digits", mode: str = "class", paper: bool = False, **changes) -> "AppConfig":
        """The default configuration for a dataset and mode, hyperparameters included."""
        hyper = default_unlearn_config(dataset if dataset in DATASETS else "digits", mode if mode in MODES else "class",
                                       paper=paper)
        return replace(AppConfig(dataset=dataset, mode=mode, paper_defaults=paper, hyper=hyper), **changes)

    # ---- the engine's view -------------------------------------------------------------------------
    def forget_config(self) -> ForgetConfig:
        # Fields that do not apply to the mode stay at their defaults, so they do not split the caches.
        if self.mode == "class":
            return ForgetConfig(mode="class", forget_class=self.forget_class, seed=self.seed)
        return ForgetConfig(mode=self.mode, count=self.count, indices=tuple(self.indices), seed=self.seed)

    def unlearn_config(self) -> UnlearnConfig:
        return replace(self.hyper, seed=self.seed, probe_every=self.frame_every)

    def experiment(self) -> Experiment:
        return Experiment(data=DataConfig(dataset=self.dataset), forget=self.forget_config(),
                          model=ModelConfig(self.model), train=train_recipe(self.dataset),
                          unlearn=self.unlearn_config(), device=self.device)

    def prep_key(self) -> Experiment:
        """What the prepared experiment (data, split, original model) depends on: not the hyperparameters."""
        return replace(self.experiment(), unlearn=None)

    def validate(self) -> None:
        """Raise UserInputError for what can be checked without loading data (the rest: when preparing)."""
        for name, valid in (("dataset", DATASETS), ("model", MODELS), ("mode", MODES), ("device", DEVICE_CHOICES)):
            if getattr(self, name) not in valid:
                raise UserInputError(f"unknown {name} {getattr(self, name)!r}; valid: {', '.join(valid)}")
        self.forget_config().validate()
        self.unlearn_config().validate()
        if not MIN_POINTS <= self.points <= MAX_POINTS:
            raise UserInputError(f"map points must be between {MIN_POINTS} and {MAX_POINTS}, got {self.points}")
        if self.fps not in FPS_CHOICES:
            raise UserInputError(f"fps must be one of {', '.join(map(str, FPS_CHOICES))}, got {self.fps}")

    # ---- the URL's view -----------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        q = {"dataset": self.dataset, "model": self.model, "mode": self.mode, "class": str(self.forget_class),
             "count": str(self.count), "indices": ",".join(map(str, self.indices)), "seed": str(self.seed),
             "device": self.device, "paper": "1" if self.paper_defaults else "0"}
        for name in HYPERPARAMETERS:
            q[name] = _number_text(getattr(self.hyper, name))
        q |= {"points": str(self.points), "frame_every": str(self.frame_every), "fps": _number_text(self.fps)}
        return q

    @staticmethod
    def from_query(params: Mapping[str, str], base: "AppConfig | None" = None) -> tuple["AppConfig", list[str]]:
        """A configuration from URL parameters, and a one-line message per value that was ignored.
        Missing parameters take `base`'s values (default: the defaults for the URL's dataset and mode)."""
        problems: list[str] = []

        def get(key, parse, fallback):
            if key not in params:
                return fallback
            try:
                return parse(params[key])
            except (ValueError, argparse.ArgumentTypeError) as err:
                problems.append(f"ignored URL parameter {key}={params[key]!r}: {err}")
                return fallback

        dataset = get("dataset", _choice(DATASETS), base.dataset if base else "digits")
        mode = get("mode", _choice(MODES), base.mode if base else "class")
        paper = get("paper", _flag, base.paper_defaults if base else False)
        start = base if base is not None else AppConfig.defaults(dataset, mode, paper)
        hyper = {name: get(name, kind, getattr(start.hyper, name)) for name, (kind, _) in HYPERPARAMETERS.items()}
        cfg = replace(
            start, dataset=dataset, mode=mode, paper_defaults=paper, hyper=replace(start.hyper, **hyper),
            model=get("model", _choice(MODELS), start.model),
            forget_class=get("class", non_negative_int, start.forget_class),
            count=get("count", positive_int, start.count),
            indices=get("indices", parse_indices, start.indices),
            seed=get("seed", non_negative_int, start.seed),
            device=get("device", _choice(DEVICE_CHOICES), start.device),
            points=get("points", _bounded_int(MIN_POINTS, MAX_POINTS), start.points),
            frame_every=get("frame_every", positive_int, start.frame_every),
            fps=get("fps", _choice_float(FPS_CHOICES), start.fps),
        )
        try:
            cfg.unlearn_config().validate()      # e.g. both loss weights 0: keep the URL's other values
        except UserInputError as err:
            problems.append(f"ignored the URL's hyperparameters: {err}")
            cfg = replace(cfg, hyper=start.hyper)
        return cfg, problems


def train_recipe(dataset: str):
    """The dataset's training recipe; UNLEARN_TRAIN_EPOCHS shortens it (tests, benchmarks)."""
    epochs = os.environ.get(TRAIN_EPOCHS_ENV)
    if not epochs:
        return default_train_config(dataset)
    if not epochs.isdigit() or int(epochs) < 1:
        raise UserInputError(f"{TRAIN_EPOCHS_ENV} must be a whole number >= 1, got {epochs!r}")
    return default_train_config(dataset, epochs=int(epochs))


def parse_indices(text: str) -> tuple[int, ...]:
    """'3, 17,42' -> (3, 17, 42); '' -> ()."""
    parts = [p for p in text.replace(" ", "").split(",") if p]
    if not all(p.isdigit() for p in parts):
        raise ValueError(f"expected comma-separated whole numbers, got {text!r}")
    return tuple(int(p) for p in parts)


def _number_text(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _choice(valid):
    def parse(text: str) -> str:
        if text not in valid:
            raise ValueError(f"valid: {', '.join(valid)}")
        return text
    return parse


def _choice_float(valid):
    def parse(text: str) -> float:
        value = float(text)
        if value not in valid:
            raise ValueError(f"valid: {', '.join(map(str, valid))}")
        return value
    return parse


def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise ValueError("expected 1 or 0")


def _bounded_int(low: int, high: int):
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value
    return parse
