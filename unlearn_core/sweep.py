"""Hyperparameter sweeps on Ray Tune: grid or random search over the method's settings and seeds.

    python -m unlearn_core sweep --space lr=1e-3,1e-2 --space tau=0.5,0.7 --space seed=0,1 --out sweep.csv
    python -m unlearn_core sweep --config sweep.toml --samples 20 --out sweep.parquet --address ray://head:10001

    from unlearn_core.sweep import parse_space, run_sweep, best_trial
    spec = SearchSpec(dimensions=parse_space(["lr=loguniform:1e-3:1e-1", "seed=0,1,2"]), samples=8)
    table = run_sweep(Experiment(), spec)          # a pandas DataFrame, one row per trial (+ references)
    best_trial(table)

What is shared and what is not. The driver (this process) prepares the experiment once: the data, the
original model (the engine's disk cache) and, for every seed, the split and the retrain reference with
its metrics. All of it goes into Ray's object store once (tune.with_parameters) and every trial reads
it from there, so no trial trains anything and workers on other machines need neither the dataset
files nor the model cache. A seed is the experiment's seed, as in `python -m unlearn_core run --seed`:
it draws the forget set (sample mode; in class mode only the small eval subsets) and the unlearning's
batch order. Seeds are therefore always crossed with the other dimensions (every configuration runs
once per seed, so the table can average over seeds, as the paper does), and sample mode trains one
retrain reference per seed, in the driver, before the trials start.

Each trial iterates the engine's generator and reports every evaluated step to Tune (step, seconds,
the small eval-set accuracies and `eval_gap`, their mean distance to the retrain reference's), so the
ASHA scheduler can stop trials that are behind at the same step. The last report of a finished trial
adds every metric on the full splits and Avg. Gap.

Objective (how "best" is chosen, documented in docs/SWEEPS.md): the smallest Avg. Gap to retrain
among trials that terminated by the paper's rule; if none did, the smallest Avg. Gap among finished
trials, and the output says so. Ties go to the faster trial.

Ray is an optional extra (requirements-sweep.txt): this module imports it only when a sweep runs, so
parsing, the results table and the app's results viewer work without it.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from .configs import UnlearnConfig, config_dict
from .errors import UserInputError
from .metrics import METRIC_KEYS, evaluate_model, gaps_to_retrain

if TYPE_CHECKING:
    from .data import ImageData
    from .experiment import Experiment
    from .splits import Split

RAY_INSTALL_HINT = "pip install -r requirements-sweep.txt  (Ray Tune, ray[tune]==2.60.0)"

# Every numeric setting of UnlearnConfig can be searched; probe_every only feeds the app's map.
SEARCHABLE = tuple(f.name for f in fields(UnlearnConfig) if f.name != "probe_every")
INTEGER_SETTINGS = frozenset(name for name in SEARCHABLE if isinstance(getattr(UnlearnConfig(), name), int))
DISTRIBUTIONS = ("uniform", "loguniform")
MAX_TRIALS = 10_000          # a typo in a grid (100 values x 100 values x ...) should not launch forever
OBJECTIVE = "smallest Avg. Gap to retrain among trials that terminated by the paper's rule (ties: faster)"
SCHEDULERS = ("asha", "fifo")
# ASHA's default grace, in rounds. Forget accuracy plateaus and then falls off a cliff (digits, class 5,
# lr 1e-2: 1.0 until step 12, 0.92 at 16, 0.0 at 20; one round is 12 steps), while the remaining
# accuracy dips first: judged after one round, the trial that wins looks worst. Two rounds of the
# paper's three leave the cliff behind for settings that terminate at all.
GRACE_ROUNDS = 2
CONFIG_FILE_KEYS = ("space", "samples", "sample_seed")


# ---------------------------------------------------------------------------------------------------
# The search space
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """A list of values: every one in a grid, one at random per sample in a random search."""
    values: tuple


@dataclass(frozen=True)
class Range:
    """A continuous range for random search: uniform or log-uniform in [low, high] (rounded for ints)."""
    kind: str
    low: float
    high: float


@dataclass(frozen=True)
class SearchSpec:
    dimensions: tuple[tuple[str, Choice | Range], ...] = ()   # (setting, values) in the order given
    samples: int | None = None          # None: the full grid; N: N random configurations
    sample_seed: int = 0                # seeds the random draws, so a random sweep can be repeated

    def dimension(self, name: str) -> Choice | Range | None:
        return dict(self.dimensions).get(name)


def _check_name(name: str) -> None:
    if name not in SEARCHABLE:
        raise UserInputError(f"cannot search {name!r}; searchable: {', '.join(SEARCHABLE)}")


def _as_setting(name: str, value) -> int | float:
    """One value of a setting, as the number UnlearnConfig holds, range-checked by its own validate()."""
    integer = name in INTEGER_SETTINGS
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, str):
            number = float(value.strip()) if not integer else int(value.strip())
        else:
            number = value
        if integer and (not float(number).is_integer() or isinstance(number, float) and not math.isfinite(number)):
            raise ValueError
        number = int(number) if integer else float(number)
    except (TypeError, ValueError):
        raise UserInputError(f"{name}: expected {'an integer' if integer else 'a number'}, got {value!r}") from None
    if name == "seed":
        if number < 0:
            raise UserInputError(f"seed must be an integer >= 0, got {value!r}")
    else:
        # lambda_ul=0 alone is a valid setting; only the combination with lambda_ce=0 is not (checked per trial).
        probe = {"lambda_ul": 1.0} if name == "lambda_ce" else {"lambda_ce": 1.0} if name == "lambda_ul" else {}
        replace(UnlearnConfig(), **probe, **{name: number}).validate()
    return number


def parse_dimension(name: str, spec) -> Choice | Range:
    """A dimension from the command line's text ("0.5,0.7", "loguniform:1e-4:1e-1") or a config file's
    value (a list, {"loguniform": [1e-4, 1e-1]}, or the same text)."""
    _check_name(name)
    if isinstance(spec, str) and ":" in spec:
        kind, _, bounds = spec.partition(":")
        parts = bounds.split(":")
        if kind.strip() not in DISTRIBUTIONS or len(parts) != 2:
            raise UserInputError(f"{name}={spec}: expected values like 0.1,0.2 or a range like "
                                 f"uniform:LOW:HIGH or loguniform:LOW:HIGH")
        spec = {kind.strip(): parts}
    if isinstance(spec, dict):
        if len(spec) != 1 or next(iter(spec)) not in DISTRIBUTIONS:
            raise UserInputError(f"{name}: a range is one of {{uniform = [LOW, HIGH]}} or {{loguniform = [LOW, HIGH]}}, "
                                 f"got {spec!r}")
        kind, bounds = next(iter(spec.items()))
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise UserInputError(f"{name}: {kind} needs [LOW, HIGH], got {bounds!r}")
        if name == "seed":
            raise UserInputError("seed takes a list of values (e.g. seed=0,1,2), not a range")
        low, high = (_as_setting(name, b) for b in bounds)
        if low > high:
            raise UserInputError(f"{name}: {kind} range has LOW {low} > HIGH {high}")
        if kind == "loguniform" and low <= 0:
            raise UserInputError(f"{name}: loguniform needs LOW > 0, got {low}")
        return Range(kind, float(low), float(high))
    if isinstance(spec, str):
        spec = [part for part in spec.split(",") if part.strip()]
    if not isinstance(spec, (list, tuple)) or not spec:
        raise UserInputError(f"{name}: expected a non-empty list of values, got {spec!r}")
    values = tuple(dict.fromkeys(_as_setting(name, v) for v in spec))   # drop repeats, keep the order
    return Choice(values)


def parse_space(assignments: list[str]) -> tuple[tuple[str, Choice | Range], ...]:
    """Command-line dimensions: ["lr=1e-3,1e-2", "tau=uniform:0.3:1.0", "seed=0,1,2"]."""
    dims: dict[str, Choice | Range] = {}
    for text in assignments:
        name, sep, spec = text.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name or not spec.strip():
            raise UserInputError(f"--space {text!r}: expected NAME=VALUES, e.g. lr=1e-3,1e-2 or lr=loguniform:1e-4:1e-1")
        if name in dims:
            raise UserInputError(f"--space names {name} twice; give all its values in one --space")
        dims[name] = parse_dimension(name, spec)
    return tuple(dims.items())


def load_config_file(path: str | Path) -> dict:
    """A sweep file, JSON (.json) or TOML (.toml): {"space": {...}, "samples": N, "sample_seed": S}.

        # sweep.toml
        samples = 12                          # leave out for the full grid
        [space]
        lr = {loguniform = [1e-3, 1e-1]}
        tau = [0.5, 0.7, 1.0]
        seed = [0, 1, 2]
    """
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"sweep config {path} not found")
    try:
        if path.suffix == ".toml":
            raw = tomllib.loads(path.read_text())
        elif path.suffix == ".json":
            raw = json.loads(path.read_text())
        else:
            raise UserInputError(f"sweep config {path}: use a .toml or .json file")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserInputError(f"sweep config {path} does not parse: {str(err).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise UserInputError(f"sweep config {path}: expected a table of {', '.join(CONFIG_FILE_KEYS)}")
    unknown = sorted(set(raw) - set(CONFIG_FILE_KEYS))
    if unknown:
        raise UserInputError(f"sweep config {path}: unknown key {unknown[0]!r}; valid: {', '.join(CONFIG_FILE_KEYS)}")
    space = raw.get("space", {})
    if not isinstance(space, dict):
        raise UserInputError(f"sweep config {path}: 'space' must be a table of setting = values")
    return {"dimensions": tuple((name, parse_dimension(name, spec)) for name, spec in space.items()),
            "samples": raw.get("samples"), "sample_seed": raw.get("sample_seed", 0)}


def make_spec(file_path: str | None, assignments: list[str], samples: int | None, sample_seed: int | None) -> SearchSpec:
    """The search from a config file and the command line; the command line wins per setting."""
    base = load_config_file(file_path) if file_path else {"dimensions": (), "samples": None, "sample_seed": 0}
    dims = dict(base["dimensions"])
    dims.update(parse_space(assignments))
    samples = samples if samples is not None else base["samples"]
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        raise UserInputError(f"samples must be an integer >= 1, got {samples!r}")
    sample_seed = sample_seed if sample_seed is not None else base["sample_seed"]
    if isinstance(sample_seed, bool) or not isinstance(sample_seed, int) or sample_seed < 0:
        raise UserInputError(f"sample_seed must be an integer >= 0, got {sample_seed!r}")
    return SearchSpec(tuple(dims.items()), samples, sample_seed)


def _draw(name: str, dim: Choice | Range, rng: np.random.Generator):
    if isinstance(dim, Choice):
        return dim.values[rng.integers(len(dim.values))]
    low, high = (math.log(dim.low), math.log(dim.high)) if dim.kind == "loguniform" else (dim.low, dim.high)
    value = rng.uniform(low, high)
    value = math.exp(value) if dim.kind == "loguniform" else value
    if name in INTEGER_SETTINGS:
        return int(min(max(round(value), math.ceil(dim.low)), math.floor(dim.high)))
    return float(value)


def trial_configs(spec: SearchSpec, base: UnlearnConfig) -> list[dict]:
    """The settings each trial overrides on `base`, in launch order (the seeds of one configuration
    next to each other). Grid: the product of the lists. Random: `samples` draws, each crossed with
    every seed. Every combination is validated here, before anything is trained or launched."""
    dims = dict(spec.dimensions)
    seed_dim = dims.pop("seed", None)
    if isinstance(seed_dim, Range):
        raise UserInputError("seed takes a list of values (e.g. seed=0,1,2), not a range")
    seeds = seed_dim.values if seed_dim else (base.seed,)
    if spec.samples is None:
        ranged = [name for name, dim in dims.items() if isinstance(dim, Range)]
        if ranged:
            raise UserInputError(f"{ranged[0]} is a range: a grid needs lists of values; "
                                 f"add --samples N for a random search")
        names = list(dims)
        combos = [dict(zip(names, values)) for values in itertools.product(*(dims[n].values for n in names))]
    else:
        rng = np.random.default_rng(spec.sample_seed)
        combos = [{name: _draw(name, dim, rng) for name, dim in dims.items()} for _ in range(spec.samples)]
        # A random search over short lists can draw a configuration twice: run it once.
        combos = list({json.dumps(c, sort_keys=True): c for c in combos}.values())
    if len(combos) * len(seeds) > MAX_TRIALS:
        raise UserInputError(f"the sweep has {len(combos) * len(seeds)} trials, more than {MAX_TRIALS}; "
                             f"use fewer values or --samples")
    configs = [{**combo, "seed": int(seed)} for combo in combos for seed in seeds]
    for i, overrides in enumerate(configs):
        try:
            replace(base, **overrides).validate()
        except UserInputError as err:
            raise UserInputError(f"trial {i} ({_describe(overrides)}): {err}") from None
    return configs


def _describe(overrides: dict) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in overrides.items())


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------------------------------------
# Shared state and the trial
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SeedReference:
    """What a seed fixes, computed once in the driver: the split and the retrain reference's figures."""
    split: Split                            # the split drawn with this seed
    retrain_metrics: dict                   # every metric of the retrain model on the full splits
    retrain_eval: dict                      # its accuracies on the small eval sets (for eval_gap)
    retrain_seconds: float                  # its training time (measured, or read from the cache file)
    original_metrics: dict                  # every metric of the original model on this seed's splits


@dataclass(frozen=True, eq=False)
class TrialContext:
    """Everything a trial needs, put into Ray's object store once and read by every trial."""
    exp: Experiment                         # its unlearn config is the base every trial overrides
    data: ImageData
    original_state: dict                    # the original model's weights, on the CPU
    references: dict[int, SeedReference]    # by seed
    cpus_per_trial: float                   # torch's thread count in a trial


def eval_gap(accs: dict, retrain_accs: dict) -> float:
    """Mean |accuracy - retrain's| over the small eval sets: Avg. Gap's cheap cousin, for ASHA."""
    gaps = [abs(accs[k] - retrain_accs[k]) for k in accs if accs.get(k) is not None and retrain_accs.get(k) is not None]
    return float(np.mean(gaps)) if gaps else float("nan")


def step_report(step, reference: SeedReference, mode: str) -> dict:
    """The metrics one evaluated Step reports to Tune (the last one with the full-split metrics)."""
    report = {"step": step.step, "round": step.round, "seconds": step.seconds,
              "eval_gap": eval_gap(step.eval, reference.retrain_eval), "final": bool(step.stop)}
    report.update({f"eval_{name}": value for name, value in step.eval.items()})
    if step.stop:
        report["stop_reason"] = step.stop_reason
        report["terminated"] = bool(step.stop_reason and step.stop_reason.startswith("terminated"))
        if step.metrics is not None:
            report.update({k: v for k, v in step.metrics.items() if v is not None})
            report["avg_gap"] = gaps_to_retrain(step.metrics, reference.retrain_metrics, mode)["avg_gap"]
    return report


def run_trial(config: dict, context: TrialContext) -> None:
    """Ray Tune's trainable: unlearn a fresh copy of the original with this trial's settings."""
    import torch
    from ray import tune

    from .devices import pick_device
    from .models import build_model, prepare_for_device
    from .runner import unlearn

    torch.set_num_threads(max(1, int(context.cpus_per_trial)))   # the CPUs Ray gave this trial, no more
    overrides = {k: v for k, v in config["settings"].items() if k != "trial"}
    exp = context.exp
    reference = context.references[overrides["seed"]]
    device = pick_device(exp.device)       # Ray sets CUDA_VISIBLE_DEVICES to this trial's GPUs (or none)
    model = build_model(exp.model, context.data)
    model.load_state_dict(context.original_state)
    model = prepare_for_device(model, device)
    cfg = replace(exp.unlearn_config(), **overrides)
    for step in unlearn(model, context.data, reference.split, cfg, method=exp.method, device=device):
        if step.eval is not None:
            tune.report(step_report(step, reference, exp.forget.mode))


# ---------------------------------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepOptions:
    """Where and how the trials run."""
    scheduler: str = "asha"             # "asha": stop trials behind at the same step; "fifo": run all to the end
    grace_steps: int | None = None      # ASHA never stops a trial before this step; None: GRACE_ROUNDS rounds
    cpus_per_trial: float = 1.0         # CPU cores Ray reserves per trial (and torch's thread count)
    gpus_per_trial: float | None = None  # None: 1 where the cluster has GPUs and the device allows, else 0
    max_concurrent: int | None = None   # None: as many trials at once as the resources allow
    address: str | None = None          # an existing Ray cluster ("auto", "ray://host:10001"); None: local
    storage: str | None = None          # Tune's experiment folder (logs per trial); None: temporary

    def validate(self) -> None:
        if self.scheduler not in SCHEDULERS:
            raise UserInputError(f"unknown scheduler {self.scheduler!r}; valid: {', '.join(SCHEDULERS)}")
        for name in ("cpus_per_trial", "gpus_per_trial", "grace_steps", "max_concurrent"):
            value = getattr(self, name)
            smallest = 0 if name == "gpus_per_trial" else 1e-9      # 0 GPUs: CPU trials on a GPU machine
            if value is not None and not (value >= smallest and math.isfinite(value)):
                raise UserInputError(f"{name.replace('_', '-')} must be {'>= 0' if smallest == 0 else '> 0'}, "
                                     f"got {value!r}")


# on_event receives plain dicts (JSON-ready), e.g. {"event": "trial_result", "trial": 3, "step": 12, ...}
EventHandler = Callable[[dict], None]


def require_ray():
    """Ray Tune, or a one-line message saying how to install it."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise UserInputError(f"sweeps need Ray Tune, which is not installed; install it with: {RAY_INSTALL_HINT}") from None
    return ray, tune


def ray_available() -> bool:
    try:
        require_ray()
        return True
    except UserInputError:
        return False


def steps_per_round(forget_size: int, cfg: UnlearnConfig) -> int:
    return -(-forget_size // cfg.batch_size) * cfg.omega


def prepare_references(exp, seeds, progress: Callable | None = None, on_event: EventHandler | None = None):
    """(Prepared, {seed: SeedReference}): the original once, then each seed's split and retrain."""
    from .experiment import prepare
    from .runner import evaluate_small
    from .splits import make_split

    emit = on_event or (lambda event: None)
    emit({"event": "phase", "phase": "original model", "detail": "training (or loading) the original model"})
    prep = prepare(exp, progress)
    references = {}
    for seed in seeds:
        forget = replace(exp.forget, seed=seed)
        seeded = replace(prep, exp=replace(exp, forget=forget), split=make_split(prep.data, forget))
        emit({"event": "phase", "phase": "retrain reference", "detail": f"seed {seed}: training (or loading) retrain"})
        retrain = seeded.retrain(progress)
        references[seed] = SeedReference(
            split=seeded.split,
            retrain_metrics=evaluate_model(retrain.model, prep.data, seeded.split, prep.device),
            retrain_eval=evaluate_small(retrain.model, prep.data, seeded.split, prep.device),
            retrain_seconds=retrain.seconds,
            original_metrics=evaluate_model(prep.original.model, prep.data, seeded.split, prep.device),
        )
    return prep, references


class _TuneEvents:
    """Turns Tune's callback hooks into plain event dicts (the CLI's bar, the app's progress file)."""

    def __init__(self, emit: EventHandler):
        self.emit = emit

    @staticmethod
    def _trial_no(trial) -> int:
        return int(trial.config["settings"]["trial"])

    def on_trial_start(self, trial):
        self.emit({"event": "trial_start", "trial": self._trial_no(trial), "trial_id": trial.trial_id})

    def on_trial_result(self, trial, result):
        keep = ("step", "seconds", "eval_gap", "final", "terminated", "avg_gap")
        self.emit({"event": "trial_result", "trial": self._trial_no(trial), "trial_id": trial.trial_id,
                   **{k: _plain(result[k]) for k in keep if k in result}})

    def on_trial_complete(self, trial):
        self.emit({"event": "trial_complete", "trial": self._trial_no(trial), "trial_id": trial.trial_id})

    def on_trial_error(self, trial):
        self.emit({"event": "trial_error", "trial": self._trial_no(trial), "trial_id": trial.trial_id})

    def as_tune_callback(self):
        from ray import tune

        events = self

        class Callback(tune.Callback):
            def on_trial_start(self, iteration, trials, trial, **info):
                events.on_trial_start(trial)

            def on_trial_result(self, iteration, trials, trial, result, **info):
                events.on_trial_result(trial, result)

            def on_trial_complete(self, iteration, trials, trial, **info):
                events.on_trial_complete(trial)

            def on_trial_error(self, iteration, trials, trial, **info):
                events.on_trial_error(trial)

        return Callback()


def _plain(value):
    """numpy scalars to Python numbers, for JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _init_ray(ray, options: SweepOptions) -> bool:
    """Start local Ray (all cores, GPUs found by Ray) or join options.address; True if we started it."""
    if ray.is_initialized():
        return False
    # Anonymous usage reporting phones home; a teaching tool on a laptop should not (users may opt in).
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Tune's newer console output prints a banner even at verbose=0 (pointing at a folder we delete);
    # the classic reporter is silent at verbose=0, and our own progress events say what happens.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Ctrl-C (or the app's Stop) should stop the sweep, not end it "gracefully" with a table of
    # half-run trials that look like ASHA's: let KeyboardInterrupt through; nothing is written then.
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")
    package = str(Path(__file__).resolve().parent)
    # Ship this package to the workers, so a cluster runs the same engine code as the driver.
    runtime_env = {"py_modules": [package], "excludes": ["__pycache__"]}
    kwargs = dict(include_dashboard=False, log_to_driver=False, configure_logging=False, runtime_env=runtime_env)
    try:
        if options.address:
            ray.init(address=options.address, **kwargs)
        else:
            ray.init(num_cpus=os.cpu_count(), **kwargs)
    except (ConnectionError, ValueError) as err:
        where = options.address or "a local Ray instance"
        raise UserInputError(f"cannot start Ray on {where}: {str(err).splitlines()[0] if str(err) else err}") from None
    return True


def run_sweep(exp, spec: SearchSpec, options: SweepOptions = SweepOptions(), *,
              on_event: EventHandler | None = None, progress: Callable | None = None) -> pd.DataFrame:
    """Run every trial of `spec` on Ray Tune and return the results table (see `results_table`)."""
    options.validate()
    base = exp.unlearn_config()
    configs = trial_configs(spec, base)
    ray, tune = require_ray()
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    emit = on_event or (lambda event: None)
    seeds = sorted({c["seed"] for c in configs})
    prep, references = prepare_references(exp, seeds, progress, emit)
    forget_size = len(next(iter(references.values())).split.forget_train)
    emit({"event": "phase", "phase": "starting Ray", "detail": options.address or "local"})
    started = _init_ray(ray, options)
    storage = options.storage or tempfile.mkdtemp(prefix="unlearn-sweep-")
    try:
        gpus = options.gpus_per_trial
        if gpus is None:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 and exp.device in ("auto", "cuda") else 0
        if exp.device == "cuda" and gpus == 0:
            # Ray hides the GPUs from a trial that reserved none: every trial would fail the same way.
            raise UserInputError("--device cuda needs GPUs per trial: this cluster has none, or --gpus-per-trial is 0")
        context = TrialContext(
            exp=exp, data=prep.data,
            original_state={k: v.detach().cpu() for k, v in prep.original.model.state_dict().items()},
            references=references, cpus_per_trial=options.cpus_per_trial,
        )
        budgets = [min(c.max_steps, c.max_rounds * steps_per_round(forget_size, c))
                   for c in (replace(base, **o) for o in configs)]
        if options.scheduler == "asha":
            grace = options.grace_steps or GRACE_ROUNDS * min(steps_per_round(forget_size, replace(base, **o))
                                                              for o in configs)
            # max_t one past the longest budget: ASHA stops a trial that reaches max_t, and a trial at its
            # last step still has its final report (the full-split metrics) to send.
            scheduler = ASHAScheduler(time_attr="step", max_t=max(budgets) + 1, grace_period=min(grace, max(budgets)))
        else:
            scheduler = FIFOScheduler()
        trainable = tune.with_resources(tune.with_parameters(run_trial, context=context),
                                        {"cpu": options.cpus_per_trial, "gpu": gpus})
        emit({"event": "start", "trials": len(configs), "gpus_per_trial": gpus,
              "cpus_per_trial": options.cpus_per_trial, "cluster": options.address or "local",
              "resources": {k: _plain(v) for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU")}})
        tuner = tune.Tuner(
            trainable,
            # The configurations are drawn here (seeded, validated, seeds crossed), so Tune grids over them.
            param_space={"settings": tune.grid_search([{"trial": i, **c} for i, c in enumerate(configs)])},
            tune_config=tune.TuneConfig(metric="eval_gap", mode="min", scheduler=scheduler,
                                        max_concurrent_trials=options.max_concurrent, reuse_actors=True),
            run_config=tune.RunConfig(name="unlearn-sweep", storage_path=str(Path(storage).resolve()), verbose=0,
                                      callbacks=[_TuneEvents(emit).as_tune_callback()],
                                      failure_config=tune.FailureConfig(max_failures=0)),
        )
        results = tuner.fit()
        ran = {r.config["settings"]["trial"]: (r.config["settings"], r.metrics or {}, r.error)
               for r in results if r.config and "settings" in r.config}
        finished = [ran.get(i, ({"trial": i, **c}, {}, "the trial did not run")) for i, c in enumerate(configs)]
    finally:
        if started:
            ray.shutdown()
        if options.storage is None:
            shutil.rmtree(storage, ignore_errors=True)
    table = results_table(exp, configs, finished, references, base, prep.original.seconds)
    emit({"event": "finished", "trials": len(configs)})
    return table


# ---------------------------------------------------------------------------------------------------
# The results table
# ---------------------------------------------------------------------------------------------------

# One row per trial (kind "trial") plus, per seed, the original and retrain references (kinds
# "original" and "retrain", whose seconds are training times): enough to reproduce any row and to draw
# the references beside the trials. The columns never change with the search or the mode.
EXPERIMENT_COLUMNS = ("method", "dataset", "model", "mode", "forget_class", "forget_count", "forget_indices",
                      "forget_size", "device")
OUTCOME_COLUMNS = ("status", "stop_reason", "terminated", "steps", "seconds", "speedup", "eval_gap",
                   *METRIC_KEYS, "avg_gap", "error")
TABLE_COLUMNS = ("kind", "trial", *OUTCOME_COLUMNS[:1], *SEARCHABLE, *OUTCOME_COLUMNS[1:], *EXPERIMENT_COLUMNS)

# status of a trial row
TERMINATED, NOT_TERMINATED, STOPPED_EARLY, ERROR, REFERENCE = (
    "terminated", "not terminated", "stopped early", "error", "reference")

# The accuracy that says how much is kept, per mode (METHOD.md: utility).
UTILITY_METRIC = {"class": "remain_test_acc", "sample": "test_acc"}


def _experiment_fields(exp, forget_size: int) -> dict:
    class_mode = exp.forget.mode == "class"
    return {"method": exp.method, "dataset": exp.data.dataset, "model": exp.model.name, "mode": exp.forget.mode,
            "forget_class": exp.forget.forget_class if class_mode else None,
            "forget_count": None if class_mode or exp.forget.indices else exp.forget.count,
            "forget_indices": ",".join(map(str, exp.forget.indices)) if not class_mode else "",
            "forget_size": forget_size, "device": exp.device}


def _first_line(error) -> str | None:
    if error is None:
        return None
    lines = [line for line in str(error).splitlines() if line.strip()]
    # Ray wraps the trial's exception; its last line is the original "Type: message".
    return (lines[-1] if lines else type(error).__name__)[:300]


def trial_row(overrides: dict, result: dict, error, base: UnlearnConfig, reference: SeedReference) -> dict:
    """One trial's row from its settings and the last result it reported to Tune."""
    settings = config_dict(replace(base, **{k: v for k, v in overrides.items() if k != "trial"}))
    if error is not None:
        status = ERROR
    elif result.get("final"):
        status = TERMINATED if result.get("terminated") else NOT_TERMINATED
    else:
        status = STOPPED_EARLY       # the scheduler cut it at its last reported step
    seconds = result.get("seconds")
    row = {"kind": "trial", "trial": overrides.get("trial"), "status": status,
           **{name: settings[name] for name in SEARCHABLE},
           "stop_reason": result.get("stop_reason"), "terminated": bool(result.get("terminated", False)),
           "steps": result.get("step"), "seconds": seconds,
           "speedup": reference.retrain_seconds / seconds if status in (TERMINATED, NOT_TERMINATED) and seconds else None,
           "eval_gap": result.get("eval_gap"), "avg_gap": result.get("avg_gap"), "error": _first_line(error)}
    row.update({k: result.get(k) for k in METRIC_KEYS})
    return row


def reference_rows(seed: int, reference: SeedReference, original_seconds: float, mode: str) -> list[dict]:
    rows = []
    for kind, metrics, seconds in (("original", reference.original_metrics, original_seconds),
                                   ("retrain", reference.retrain_metrics, reference.retrain_seconds)):
        rows.append({"kind": kind, "status": REFERENCE, "seed": seed, "seconds": seconds,
                     "avg_gap": gaps_to_retrain(metrics, reference.retrain_metrics, mode)["avg_gap"],
                     **{k: metrics.get(k) for k in METRIC_KEYS}})
    return rows


def results_table(exp, configs: list[dict], finished: list[tuple[dict, dict, object]], references: dict,
                  base: UnlearnConfig, original_seconds: float | None = None) -> pd.DataFrame:
    """The table: trials in launch order, then the references; every column of TABLE_COLUMNS."""
    rows = [trial_row(settings, result, error, base, references[settings["seed"]])
            for settings, result, error in sorted(finished, key=lambda f: f[0]["trial"])]
    for seed, reference in sorted(references.items()):
        rows.extend(reference_rows(seed, reference, original_seconds, exp.forget.mode))
    forget_size = len(next(iter(references.values())).split.forget_train)
    common = _experiment_fields(exp, forget_size)
    table = pd.DataFrame([{**common, **row} for row in rows], columns=list(TABLE_COLUMNS))
    table["trial"] = table["trial"].astype("Int64")
    return table


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """CSV or parquet by the file's suffix, all or nothing (a temporary file, then a rename)."""
    path = Path(path)
    check_table_path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        if path.suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_table_path(path: Path) -> None:
    if path.suffix not in (".csv", ".parquet"):
        raise UserInputError(f"results file {path}: use a .csv or .parquet name")
    if path.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UserInputError("writing parquet needs pyarrow (pip install pyarrow); or use a .csv name") from None


def read_table(source) -> pd.DataFrame:
    """A results file written by `write_table` (a path, or a file-like object with a .name)."""
    name = str(getattr(source, "name", source))
    try:
        if name.endswith(".parquet"):
            table = pd.read_parquet(source)
        elif name.endswith(".csv"):
            table = pd.read_csv(source, keep_default_na=True)
        else:
            raise UserInputError(f"{name}: a sweep results file is .csv or .parquet")
    except (OSError, ValueError, pd.errors.ParserError) as err:
        if isinstance(err, UserInputError):
            raise
        raise UserInputError(f"cannot read {name}: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise UserInputError(f"{name} is not a sweep results file: missing column {missing[0]!r}")
    if not (table["kind"] == "trial").any():
        raise UserInputError(f"{name} holds no trials")
    table["trial"] = table["trial"].astype("Int64")
    table["terminated"] = table["terminated"].astype(str).str.lower().eq("true")
    table["forget_indices"] = table["forget_indices"].fillna("").astype(str)
    return table


# ---------------------------------------------------------------------------------------------------
# Reading the table: best trial, means over seeds, Pareto front, reproducing a row
# ---------------------------------------------------------------------------------------------------

def trials(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["kind"] == "trial"]


def finished_trials(table: pd.DataFrame) -> pd.DataFrame:
    t = trials(table)
    return t[t["status"].isin([TERMINATED, NOT_TERMINATED]) & t["avg_gap"].notna()]


def best_trial(table: pd.DataFrame) -> tuple[pd.Series | None, str]:
    """(the best row, a note): OBJECTIVE; without a terminated trial, the best finished one, said so."""
    done = finished_trials(table)
    terminated = done[done["status"] == TERMINATED]
    pool, note = (terminated, OBJECTIVE) if len(terminated) else (
        done, "no trial terminated by the paper's rule: smallest Avg. Gap among the trials that finished")
    if not len(pool):
        return None, "no trial finished"
    return pool.sort_values(["avg_gap", "seconds"], kind="stable").iloc[0], note


def config_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration (every setting but the seed): means over its seeds of the finished trials."""
    t = trials(table)
    keys = [c for c in SEARCHABLE if c != "seed"]
    groups = t.groupby(keys, dropna=False, sort=False)
    summary = groups.agg(
        seeds=("seed", "nunique"),
        terminated_share=("status", lambda s: float((s == TERMINATED).mean())),
        finished=("avg_gap", "count"),
        avg_gap_mean=("avg_gap", "mean"), avg_gap_std=("avg_gap", "std"),
        seconds_mean=("seconds", "mean"),
    ).reset_index()
    return summary.sort_values(["terminated_share", "avg_gap_mean"], ascending=[False, True], kind="stable")


def pareto_objectives(table: pd.DataFrame) -> pd.DataFrame:
    """The finished trials with the three objectives of the front, all to be made small:
    forget_gap = |forget-set accuracy - retrain's| (class: retrain's is 0), utility_loss = retrain's
    utility accuracy - the trial's (negative: better than retrain), and seconds."""
    done = finished_trials(table).copy()
    retrain = table[table["kind"] == "retrain"].set_index("seed")
    utility = done["mode"].map(UTILITY_METRIC)
    done["forget_acc"] = done["forget_train_acc"]
    done["utility_acc"] = [row[u] for (_, row), u in zip(done.iterrows(), utility)]
    ref_forget = done["seed"].map(retrain["forget_train_acc"])
    ref_utility = [retrain.loc[s, u] if s in retrain.index else np.nan for s, u in zip(done["seed"], utility)]
    done["forget_gap"] = (done["forget_acc"] - ref_forget).abs()
    done["utility_loss"] = np.asarray(ref_utility, dtype=float) - done["utility_acc"].astype(float)
    return done


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """True for rows no other row dominates (<= in every column, < in one); columns are minimised."""
    values = np.asarray(values, dtype=float)
    keep = np.ones(len(values), dtype=bool)
    for i, v in enumerate(values):
        dominated_by = np.all(values <= v, axis=1) & np.any(values < v, axis=1)
        keep[i] = not dominated_by.any()
    return keep


def pareto_front(table: pd.DataFrame) -> pd.DataFrame:
    """pareto_objectives with an `on_front` column (forget_gap, utility_loss, seconds minimised)."""
    objectives = pareto_objectives(table)
    objectives["on_front"] = pareto_mask(objectives[["forget_gap", "utility_loss", "seconds"]].to_numpy()) \
        if len(objectives) else []
    return objectives


def run_arguments(row) -> list[str]:
    """The `python -m unlearn_core run` arguments that reproduce a trial row."""
    args = ["--dataset", str(row["dataset"]), "--model", str(row["model"]), "--mode", str(row["mode"])]
    if row["mode"] == "class":
        args += ["--forget-class", str(int(row["forget_class"]))]
    elif isinstance(row["forget_indices"], str) and row["forget_indices"]:
        args += ["--forget-indices", row["forget_indices"]]
    else:
        args += ["--forget-count", str(int(row["forget_count"]))]
    args += ["--seed", str(int(row["seed"]))]
    if str(row["device"]) != "auto":
        args += ["--device", str(row["device"])]
    for name in SEARCHABLE:
        if name != "seed":
            value = row[name]
            args += ["--" + name.replace("_", "-"), str(int(value)) if name in INTEGER_SETTINGS else f"{float(value):g}"]
    return args


def run_command(row) -> str:
    return "python -m unlearn_core run " + " ".join(run_arguments(row))


def format_summary(table: pd.DataFrame, top: int = 5) -> str:
    """What the CLI prints at the end: counts, the best trials, the best configuration over seeds."""
    t = trials(table)
    counts = t["status"].value_counts()
    lines = [f"{len(t)} trials: " + ", ".join(f"{int(counts.get(s, 0))} {s}"
                                              for s in (TERMINATED, NOT_TERMINATED, STOPPED_EARLY, ERROR))]
    searched = [c for c in SEARCHABLE if t[c].nunique(dropna=True) > 1] or ["seed"]
    utility = UTILITY_METRIC[str(t["mode"].iloc[0])]
    done = finished_trials(table).sort_values(["avg_gap", "seconds"], kind="stable").head(top)
    if len(done):
        lines.append(f"{'trial':>5} {'status':<15}" + "".join(f"{c:>11}" for c in searched)
                     + f"{'avg_gap':>9}{'forget_tr':>10}{utility[:9]:>10}{'seconds':>9}")
        for _, r in done.iterrows():
            lines.append(f"{int(r['trial']):>5} {r['status']:<15}" + "".join(f"{_fmt(r[c]):>11}" for c in searched)
                         + f"{100 * r['avg_gap']:>8.2f}%{100 * r['forget_train_acc']:>9.1f}%"
                         + f"{100 * r[utility]:>9.1f}%{r['seconds']:>9.2f}")
    errors = t[t["status"] == ERROR]
    if len(errors):
        lines.append(f"first error (trial {int(errors.iloc[0]['trial'])}): {errors.iloc[0]['error']}")
    best, note = best_trial(table)
    if best is None:
        lines.append("best trial: none (no trial finished)")
        return "\n".join(lines)
    retrain = table[(table["kind"] == "retrain") & (table["seed"] == best["seed"])]
    retrain_text = f" (retrain: {100 * retrain.iloc[0][utility]:.1f}%)" if len(retrain) else ""
    lines.append(f"best trial ({note}):")
    lines.append(f"  trial {int(best['trial'])}, {best['status']}: " + _describe({c: best[c] for c in searched})
                 + f"; Avg. Gap {100 * best['avg_gap']:.2f}%, forget-train acc {100 * best['forget_train_acc']:.1f}%, "
                 f"{utility} {100 * best[utility]:.1f}%{retrain_text}, {best['seconds']:.2f} s"
                 + (f" ({best['speedup']:.1f}x faster than retrain)" if pd.notna(best["speedup"]) else ""))
    lines.append(f"  reproduce: {run_command(best)}")
    if t["seed"].nunique() > 1:
        summary = config_summary(table)
        first = summary.iloc[0]
        keys = [c for c in searched if c != "seed"]
        lines.append(f"best configuration over {int(first['seeds'])} seeds (most terminated, then smallest mean "
                     f"Avg. Gap): " + (_describe({c: first[c] for c in keys}) or "the base settings")
                     + f"; Avg. Gap {100 * first['avg_gap_mean']:.2f}% +- {100 * np.nan_to_num(first['avg_gap_std']):.2f}%, "
                     f"terminated {100 * first['terminated_share']:.0f}%")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# The `sweep` subcommand
# ---------------------------------------------------------------------------------------------------

class ProgressLog:
    """Progress events as JSON lines, appended and flushed one by one (the app polls this file; a
    reader skips a last line that is not complete yet). Training progress is thinned to 2% steps."""

    def __init__(self, path: Path):
        self.path = path
        self.path.write_text("")
        self._last_share = -1.0

    def __call__(self, event: dict) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({"time": time.time(), **event}, default=_plain) + "\n")

    def training(self, done: int, total: int) -> None:
        share = done / max(total, 1)
        if share - self._last_share >= 0.02 or done == total or share < self._last_share:
            self._last_share = share
            self({"event": "training", "done": done, "total": total})


def read_progress(path: str | Path) -> list[dict]:
    """The events of a ProgressLog so far (an incomplete last line is left for the next read)."""
    events = []
    try:
        text = Path(path).read_text()
    except OSError:
        return events
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return events


class _TrialBar:
    """The CLI's bar: trials done out of all, and the best eval_gap reported so far."""

    def __init__(self):
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self.bar = None
        self.best = math.inf

    def __call__(self, event: dict) -> None:
        kind = event["event"]
        if kind == "phase":
            print(f"{event['phase']}: {event['detail']}", flush=True)
        elif kind == "start":
            print(f"{event['trials']} trials on {event['cluster']} Ray ({event['resources']}), "
                  f"{event['cpus_per_trial']:g} CPU and {event['gpus_per_trial']:g} GPU per trial", flush=True)
            self.bar = self._tqdm(total=event["trials"], desc="trials", unit="trial")
        elif kind == "trial_result" and self.bar is not None:
            gap = event.get("eval_gap")
            if gap is not None and math.isfinite(gap) and gap < self.best:
                self.best = gap
                self.bar.set_postfix(best_eval_gap=f"{self.best:.3f}")
        elif kind in ("trial_complete", "trial_error") and self.bar is not None:
            self.bar.update(1)
        elif kind == "finished" and self.bar is not None:
            self.bar.close()


def add_sweep_command(subparsers) -> None:
    """Register `python -m unlearn_core sweep` (cli.COMMANDS calls this with the subparsers object)."""
    from .cli import add_experiment_args, non_negative_float, non_negative_int, positive_float, positive_int

    p = subparsers.add_parser(
        "sweep", help="grid or random search over hyperparameters and seeds on Ray Tune (see docs/SWEEPS.md)",
        description="Search the method's hyperparameters and seeds on Ray Tune: locally on all cores by default, "
                    f"on a cluster with --address. Needs Ray Tune: {RAY_INSTALL_HINT}. The experiment options set "
                    "the base every trial starts from; --space and --config say what varies.")
    add_experiment_args(p)
    g = p.add_argument_group("search (a grid over the lists by default; --samples N for a random search)")
    g.add_argument("--space", action="append", default=[], metavar="NAME=VALUES",
                   help="a searched setting: a list (lr=1e-3,1e-2) or, with --samples, a range "
                        "(lr=loguniform:1e-4:1e-1, tau=uniform:0.3:1.0); seed=0,1,2 runs every configuration once "
                        f"per seed. Repeat for more settings. Searchable: {', '.join(SEARCHABLE)}")
    g.add_argument("--config", help="a .toml or .json sweep file with [space], samples, sample_seed; "
                                    "--space and --samples override its entries")
    g.add_argument("--samples", type=positive_int, help="draw N random configurations (each run with every seed) "
                                                        "instead of the full grid")
    g.add_argument("--sample-seed", type=non_negative_int, help="seeds the random draws (default 0)")
    g.add_argument("--dry-run", action="store_true", help="list the trials and exit, without Ray or training")
    g = p.add_argument_group("Ray Tune")
    g.add_argument("--scheduler", default="asha", choices=SCHEDULERS,
                   help="asha: stop trials whose eval gap to retrain is behind the others' at the same step; "
                        "fifo: run every trial to its end (default: asha)")
    g.add_argument("--grace-steps", type=positive_int,
                   help=f"ASHA stops no trial before this step (default: {GRACE_ROUNDS} rounds, counted for the setting with the fewest steps per round)")
    g.add_argument("--cpus-per-trial", type=positive_float, default=1.0, help="CPU cores per trial (default 1)")
    g.add_argument("--gpus-per-trial", type=non_negative_float,
                   help="GPUs per trial, fractions allowed, e.g. 0.25: four trials share a GPU "
                        "(default: 1 where the cluster has GPUs and --device allows, else 0)")
    g.add_argument("--max-concurrent", type=positive_int, help="trials at once (default: as resources allow)")
    g.add_argument("--address", help="join an existing Ray cluster (e.g. auto, ray://head:10001); default: local Ray")
    g.add_argument("--storage", help="keep Tune's experiment folder (per-trial logs) here; a cluster needs shared "
                                     "storage (NFS, s3://); default: a temporary folder, removed at the end")
    g = p.add_argument_group("output")
    g.add_argument("--out", default="sweep-results.csv", help="results table, .csv or .parquet (default: sweep-results.csv)")
    g.add_argument("--progress", help="append progress events to this file as JSON lines (the app reads it)")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args) -> int:
    from .cli import HYPERPARAMETERS, check_out_path, experiment_from_args

    out = check_out_path(args.out)
    check_table_path(out)
    progress_path = check_out_path(args.progress)
    exp = experiment_from_args(args)
    spec = make_spec(args.config, args.space, args.samples, args.sample_seed)
    both = [name for name, _ in spec.dimensions if name in HYPERPARAMETERS and getattr(args, name) is not None]
    if both:
        raise UserInputError(f"{both[0]} is both fixed (--{both[0].replace('_', '-')}) and searched (--space or "
                             f"--config); drop one")
    configs = trial_configs(spec, exp.unlearn_config())
    if args.dry_run:
        base = config_dict(exp.unlearn_config())
        print(f"{len(configs)} trial{'s' if len(configs) != 1 else ''} "
              f"({'random search, ' + str(spec.samples) + ' samples' if spec.samples else 'grid'}), "
              f"base: {_describe({k: base[k] for k in SEARCHABLE})}")
        for i, overrides in enumerate(configs):
            print(f"  trial {i}: {_describe(overrides)}")
        return 0
    options = SweepOptions(scheduler=args.scheduler, grace_steps=args.grace_steps, cpus_per_trial=args.cpus_per_trial,
                           gpus_per_trial=args.gpus_per_trial, max_concurrent=args.max_concurrent,
                           address=args.address, storage=args.storage)
    options.validate()
    require_ray()            # before training anything: say how to install it, not fail after minutes
    bar = _TrialBar()
    log = ProgressLog(progress_path) if progress_path else None

    def on_event(event: dict) -> None:
        bar(event)
        if log is not None:
            log(event)

    try:
        table = run_sweep(exp, spec, options, on_event=on_event, progress=log.training if log else None)
        write_table(table, out)
    except BaseException as err:
        if log is not None:
            log({"event": "failed", "error": _first_line(err) or type(err).__name__})
        raise
    print(format_summary(table))
    print(f"wrote {out}")
    if log is not None:
        log({"event": "written", "out": str(out)})
    return 0 if len(finished_trials(table)) else 1
