"""`python -m unlearn_core sweep`: the command line's text for a sweep, turned into a typed SweepSpec.

    python -m unlearn_core sweep --space lr=1e-3,1e-2 --space tau=0.5,0.7 --space seed=0,1 --out sweep.csv
    python -m unlearn_core sweep --space lr=loguniform:1e-4:1e-1 --samples 20 --dry-run
    python -m unlearn_core sweep --config sweep.toml --address ray://head:10001

A dimension is NAME=VALUES: a list (lr=1e-3,1e-2) or, with --samples, a range (lr=1e-4:1e-1 on the
setting's declared scale; uniform:LOW:HIGH and loguniform:LOW:HIGH choose it). seed=0,1,2 runs every
configuration once per seed. The engine (unlearn_core.sweep) does the rest; bad input is one line, exit 2.
"""
from __future__ import annotations

import argparse
import json
import math
import time
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserInputError
from ..files import check_out_path
from ..sweep.options import SCHEDULERS, SweepOptions, check_table_path, require_ray
from ..sweep.space import SETTINGS, Dimension, SweepSpec, describe, parse_dimension, trial_configs
from .args import add_experiment_args, experiment_from_args, hyperparameter_overrides, start_engine

if TYPE_CHECKING:
    import pandas as pd

FILE_KEYS = ("space", "samples", "sample_seed")


def load_spec_file(path: str | Path) -> SweepSpec:
    """A sweep file, TOML (.toml) or JSON (.json): {"space": {...}, "samples": N, "sample_seed": S}.

        samples = 12                       # leave out for the full grid
        [space]
        lr = {loguniform = [1e-3, 1e-1]}
        tau = [0.5, 0.7, 1.0]
        seed = [0, 1, 2]
    """
    if not str(path).strip():      # Path("") would be ".", the current folder
        raise UserInputError("--config is empty; give a .toml or .json sweep file")
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
    if not isinstance(raw, dict) or not isinstance(raw.get("space", {}), dict):
        raise UserInputError(f"sweep config {path}: expected a table with [space] (setting = values)")
    unknown = sorted(set(raw) - set(FILE_KEYS))
    if unknown:
        raise UserInputError(f"sweep config {path}: unknown key {unknown[0]!r}; valid: {', '.join(FILE_KEYS)}")
    return merge(SweepSpec(samples=raw.get("samples"), sample_seed=raw.get("sample_seed", 0)),
                 [parse_dimension(name, value) for name, value in raw.get("space", {}).items()])


def merge(spec: SweepSpec, parsed: list) -> SweepSpec:
    """`spec` with parse_dimension's results: a dimension replaces the same setting's, seeds replace seeds."""
    dims = {d.name: d for d in spec.dimensions}
    seeds = spec.seeds
    for item in parsed:
        if isinstance(item, Dimension):
            dims[item.name] = item
        else:
            seeds = item
    return replace(spec, dimensions=tuple(dims.values()), seeds=seeds)


def parse_space(assignments: list[str]) -> list:
    """--space NAME=VALUES options, each parsed by parse_dimension."""
    parsed, names = [], set()
    for text in assignments:
        name, sep, values = text.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name or not values.strip():
            raise UserInputError(f"--space {text!r}: expected NAME=VALUES, e.g. lr=1e-3,1e-2 or lr=loguniform:1e-4:1e-1")
        if name in names:
            raise UserInputError(f"--space names {name} twice; give all its values in one --space")
        names.add(name)
        parsed.append(parse_dimension(name, values))
    return parsed


def _number(kind, smallest):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value < smallest or (smallest == 1 and value == 0):
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__} >= {smallest}, got {text!r}")
        return value
    parse.__name__ = kind.__name__
    return parse


def add_sweep_command(sub) -> None:
    p = sub.add_parser("sweep", help="grid or random search over hyperparameters and seeds on Ray Tune "
                                     "(docs/SWEEPS.md)")
    add_experiment_args(p)
    g = p.add_argument_group("search (a grid over the lists; --samples N for a random search)")
    g.add_argument("--space", action="append", default=[], metavar="NAME=VALUES",
                   help=f"a list (lr=1e-3,1e-2) or, with --samples, a range (lr=1e-4:1e-1, tau=uniform:0.3:1.0); "
                        f"seed=0,1,2 runs each configuration per seed. Searchable: {', '.join(SETTINGS)}")
    g.add_argument("--config", help="a .toml or .json sweep file ([space], samples, sample_seed); the command line "
                                    "overrides its entries")
    g.add_argument("--samples", type=_number(int, 1), help="draw N random configurations, each run with every seed")
    g.add_argument("--sample-seed", type=_number(int, 0), help="seeds the random draws (default 0)")
    g.add_argument("--dry-run", action="store_true", help="list the trials and exit, without training")
    g = p.add_argument_group("Ray Tune")
    g.add_argument("--scheduler", default="asha", choices=SCHEDULERS,
                   help="asha: stop trials whose eval gap to retrain is behind at the same step; fifo: run all")
    g.add_argument("--grace-steps", type=_number(int, 1), help="ASHA stops no trial before this step "
                                                               "(default: two rounds)")
    g.add_argument("--cpus-per-trial", type=_number(float, 0.01), default=1.0, help="CPU cores per trial (default 1)")
    g.add_argument("--gpus-per-trial", type=_number(float, 0), help="GPUs per trial, fractions allowed (default: 1 "
                                                                    "where the cluster has GPUs, else 0)")
    g.add_argument("--max-concurrent", type=_number(int, 1), help="trials at once (default: as resources allow)")
    g.add_argument("--address", help="join an existing Ray cluster (auto, ray://head:10001); default: local Ray")
    g.add_argument("--storage", help="keep Tune's experiment folder here (shared storage on a cluster)")
    g = p.add_argument_group("output")
    g.add_argument("--out", default="sweep-results.csv", help="results table, .csv or .parquet")
    g.add_argument("--progress", help="append progress events to this file as JSON lines")
    p.set_defaults(func=cmd_sweep)


def spec_from_args(args, fixed: dict) -> SweepSpec:
    spec = load_spec_file(args.config) if args.config is not None else SweepSpec()
    spec = merge(spec, parse_space(args.space))
    spec = replace(spec, samples=args.samples if args.samples is not None else spec.samples,
                   sample_seed=args.sample_seed if args.sample_seed is not None else spec.sample_seed)
    both = [d.name for d in spec.dimensions if d.name in fixed]
    if both:
        raise UserInputError(f"{both[0]} is both fixed (--{both[0].replace('_', '-')}) and searched; drop one")
    return spec


def format_summary(table: pd.DataFrame) -> str:
    """What the command prints at the end: counts, the best trials, the best trial's reproduce command."""
    from ..sweep.table import (ERROR, NOT_TERMINATED, STOPPED_EARLY, TERMINATED, UTILITY_METRIC, best_trial,
                               config_summary, finished_trials, run_command, trials)

    t = trials(table)
    counts = t["status"].value_counts()
    lines = [f"{len(t)} trials: " + ", ".join(f"{int(counts.get(s, 0))} {s}"
                                              for s in (TERMINATED, NOT_TERMINATED, STOPPED_EARLY, ERROR))]
    searched = [c for c in SETTINGS if t[c].nunique(dropna=True) > 1] or ["seed"]
    utility = UTILITY_METRIC[str(t["mode"].iloc[0])]
    for _, r in finished_trials(table).sort_values(["avg_gap", "seconds"], kind="stable").head(5).iterrows():
        lines.append(f"  trial {int(r['trial'])} {r['status']}: {describe({c: r[c] for c in searched})}; "
                     f"Avg. Gap {100 * r['avg_gap']:.2f}%, forget-train {100 * r['forget_train_acc']:.1f}%, "
                     f"{utility} {100 * r[utility]:.1f}%, {r['seconds']:.2f} s")
    errors = t[t["status"] == ERROR]
    if len(errors):
        lines.append(f"first error (trial {int(errors.iloc[0]['trial'])}): {errors.iloc[0]['error']}")
    best, note = best_trial(table)
    if best is None:
        return "\n".join(lines + ["best trial: none (no trial finished)"])
    lines += [f"best trial ({note}): trial {int(best['trial'])}", f"  reproduce: {run_command(best)}"]
    if t["seed"].nunique() > 1:
        first = config_summary(table).iloc[0]
        lines.append(f"best configuration over {int(first['seeds'])} seeds: "
                     + (describe({c: first[c] for c in searched if c != 'seed'}) or "the base settings")
                     + f"; Avg. Gap {100 * first['avg_gap_mean']:.2f}%, terminated {100 * first['terminated_share']:.0f}%")
    return "\n".join(lines)


class _Progress:
    """The command's progress: phases and a trial count on stdout, and JSON lines for --progress."""

    def __init__(self, path: Path | None, total: int):
        self.path, self.total, self.done = path, total, 0
        if path is not None:
            path.write_text("")

    def __call__(self, event: dict) -> None:
        if self.path is not None:
            with self.path.open("a") as f:
                f.write(json.dumps({"time": time.time(), **event}, default=str) + "\n")
        if event["event"] == "phase":
            print(f"{event['phase']}: {event['detail']}", flush=True)
        elif event["event"] == "start":
            print(f"{event['trials']} trials on {event['cluster']} Ray, {event['cpus_per_trial']:g} CPU and "
                  f"{event['gpus_per_trial']:g} GPU per trial", flush=True)
        elif event["event"] in ("trial_complete", "trial_error"):
            self.done += 1
            print(f"  {self.done}/{self.total} trials done (trial {event['trial']}: {event['event'][6:]})", flush=True)


def cmd_sweep(args) -> int:
    out = check_out_path(args.out)
    check_table_path(out)
    progress_path = check_out_path(args.progress)
    spec = spec_from_args(args, hyperparameter_overrides(args))
    # Its limits (a 10^9-trial request) and the options, checked before the engine (torch) and Ray are imported:
    # refused here, a fresh process has loaded little more than argparse (issue 23).
    spec.check()
    options = SweepOptions(scheduler=args.scheduler, grace_steps=args.grace_steps, cpus_per_trial=args.cpus_per_trial,
                           gpus_per_trial=args.gpus_per_trial, max_concurrent=args.max_concurrent,
                           address=args.address, storage=args.storage)
    options.validate()
    start_engine()
    from ..sweep.run import run_sweep
    from ..sweep.table import finished_trials, write_table

    exp = experiment_from_args(args)
    require_ray()            # before training anything: say how to install it, not fail after minutes
    configs = trial_configs(spec, exp.unlearn_config())
    if args.dry_run:
        print(f"{len(configs)} trial{'s' if len(configs) != 1 else ''} ("
              f"{f'random search, {spec.samples} samples' if spec.samples else 'grid'}), base: "
              f"{describe({k: getattr(exp.unlearn_config(), k) for k in SETTINGS})}")
        print("\n".join(f"  trial {i}: {describe(c)}" for i, c in enumerate(configs)))
        return 0
    table = run_sweep(exp, spec, options, on_event=_Progress(progress_path, len(configs)))
    write_table(table, out)
    print(format_summary(table))
    print(f"wrote {out}")
    return 0 if len(finished_trials(table)) else 1
