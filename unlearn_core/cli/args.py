"""The options every command shares, generated from the settings declared on the config dataclasses.

    add_experiment_args(parser)              # --dataset ... --lr ..., each from its `setting(...)`
    exp = experiment_from_args(args, "neggrad")

A setting's flag, help, bounds and the paper's value come from its declaration (unlearn_core/settings.py);
nothing here repeats them. Hyperparameters default to None: "the method's default for the dataset".
"""
from __future__ import annotations

import argparse
import sys

from ..configs import DataConfig, ForgetConfig, ModelConfig, TrainConfig, UnlearnConfig, default_train_config
from ..errors import UserInputError
from ..experiment_config import Experiment
from ..settings import Setting, settings

EXIT_BAD_INPUT = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the whole usage on an error; a user needs the one line that says what is wrong."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def arg_type(s: Setting):
    """An argparse `type` that parses and checks with the setting's own rules."""
    def parse(text: str):
        try:
            return s.parse(text)
        except UserInputError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parse.__name__ = s.kind.__name__     # argparse names the type in its messages
    return parse


def dest(s: Setting) -> str:
    return s.flag.lstrip("-").replace("-", "_")


def add_setting(group, s: Setting, default=argparse.SUPPRESS) -> None:
    if s.flag == "-":
        return
    help_text = s.help_text().replace("%", "%%")
    if s.kind is bool:
        group.add_argument(s.flag, dest=dest(s), action="store_true", help=help_text)
    else:
        group.add_argument(s.flag, dest=dest(s), type=arg_type(s), help=help_text,
                           default=s.default if default is argparse.SUPPRESS else default,
                           metavar=s.kind.__name__.upper() if not s.choices else "{" + ",".join(s.choices) + "}")


def add_experiment_args(p: argparse.ArgumentParser, with_method: bool = False) -> None:
    """The options that define an experiment; shared by run, compare and sweep."""
    g = p.add_argument_group("data and forget set")
    for s in (*settings(DataConfig), *settings(ForgetConfig)):
        add_setting(g, s)
    g = p.add_argument_group("model and device")
    for s in (*settings(ModelConfig), *settings(Experiment)):
        if s.name != "method" or with_method:
            add_setting(g, s)
    g.add_argument("--no-cache", action="store_true", help="train original and retrain afresh (for timings)")
    epochs = next(s for s in settings(TrainConfig) if s.name == "epochs")
    # The one recipe knob on the command line: short recipes for smoke tests and cluster checks.
    g.add_argument("--train-epochs", dest="train_epochs", type=arg_type(epochs), default=None, metavar="INT",
                   help="epochs of the original and retrain recipe (default: the dataset's, configs.py)")
    g = p.add_argument_group("hyperparameters (default: the method's for the dataset; --paper-defaults: the paper's)")
    for s in settings(UnlearnConfig):
        add_setting(g, s, default=None)
    g.add_argument("--paper-defaults", action="store_true", help="start from the paper's values, not the dataset's")


def hyperparameter_overrides(args: argparse.Namespace) -> dict:
    """The hyperparameters given on the command line (the rest keep the method's defaults)."""
    return {s.name: getattr(args, dest(s)) for s in settings(UnlearnConfig)
            if s.flag != "-" and getattr(args, dest(s), None) is not None}


def start_engine() -> None:
    """Import torch and set its CPU threads (devices.configure_threads: $UNLEARN_THREADS, else the cores this
    process may use). Each command calls it once its own cheap checks passed, before it builds or runs
    anything with the engine: input it refuses never pays for torch (issue 23)."""
    from ..devices import configure_threads

    configure_threads()


def experiment_from_args(args: argparse.Namespace, method: str | None = None) -> Experiment:
    """The Experiment the options describe; UserInputError (one line) on a bad combination. Imports the
    methods' defaults (baselines, torch): commands call it after start_engine()."""
    from ..baselines import method_unlearn_config
    from ..devices import pick_device

    def build(cls):
        return cls(**{s.name: getattr(args, dest(s)) for s in settings(cls) if s.flag != "-"})

    method = method or getattr(args, "method", "contrastive")
    forget = build(ForgetConfig)
    data = build(DataConfig)
    epochs = {} if args.train_epochs is None else {"epochs": args.train_epochs}
    train = default_train_config(data.dataset, pick_device(args.device).type, **epochs)
    unlearn_cfg = method_unlearn_config(method, args.dataset, forget.mode, paper=args.paper_defaults, recipe=train,
                                        seed=forget.seed, **hyperparameter_overrides(args))
    exp = Experiment(data=data, forget=forget, model=build(ModelConfig), train=train, unlearn=unlearn_cfg,
                     method=method, device=args.device, use_cache=not args.no_cache)
    for part in (exp.data, exp.forget, exp.model, unlearn_cfg):
        part.validate()
    return exp


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
