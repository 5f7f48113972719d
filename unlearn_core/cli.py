"""Command line: `python -m unlearn_core run ...` (see README). Bad input: one line, exit code 2."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from tqdm.auto import tqdm

from .configs import MODES, DataConfig, ForgetConfig, ModelConfig
from .data import DATASETS
from .devices import DEVICE_CHOICES
from .errors import UserInputError
from .metrics import METRIC_KEYS
from .models import MODELS

EXIT_BAD_INPUT = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the whole usage on an error; a user needs the one line that says what is wrong."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def _number(kind, minimum: float, strict: bool):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {minimum}, got {text}")
        return value

    parse.__name__ = kind.__name__     # argparse names the type in its messages
    return parse


positive_float, non_negative_float = _number(float, 0, True), _number(float, 0, False)
positive_int, non_negative_int = _number(int, 0, True), _number(int, 0, False)


def _index_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


# name -> (type, help). None defaults mean "the dataset's default" (see configs.DATASET_UNLEARN_DEFAULTS).
HYPERPARAMETERS = {
    "tau": (positive_float, "temperature of the similarities (paper: 0.7)"),
    "lambda_ul": (non_negative_float, "weight of the contrastive unlearning loss (paper: 3.0)"),
    "lambda_ce": (non_negative_float, "weight of cross-entropy on remaining batches (paper: 1.0)"),
    "omega": (positive_int, "remaining batches per forget batch (paper: 4)"),
    "lr": (positive_float, "SGD learning rate (paper: 1e-3; digits default 1e-2)"),
    "momentum": (non_negative_float, "SGD momentum (paper: 0.9)"),
    "batch_size": (positive_int, "forget batch size; remaining batches match it (paper: 128)"),
    "max_rounds": (positive_int, "cap on passes over the forget set (paper: 3)"),
    "max_steps": (positive_int, "hard cap on optimiser steps"),
    "eval_every": (positive_int, "evaluate and test termination every N steps"),
}


def add_experiment_args(p: argparse.ArgumentParser) -> None:
    """The options that define an experiment; shared by run, compare and sweep."""
    g = p.add_argument_group("data and forget set")
    g.add_argument("--dataset", default="digits", help=f"one of {', '.join(DATASETS)} (default: digits, offline)")
    g.add_argument("--data-dir", help="dataset files (default: $UNLEARN_DATA_DIR or ~/.cache/unlearn/data)")
    g.add_argument("--download", action="store_true", help="download missing torchvision dataset files")
    g.add_argument("--mode", default="class", help="class: forget one class; sample: forget random samples")
    g.add_argument("--forget-class", type=non_negative_int, default=5, help="class mode: class to forget (5)")
    g.add_argument("--forget-count", type=positive_int, default=100, help="sample mode: samples to forget (100)")
    g.add_argument("--forget-indices", type=_index_list, default=(), help="sample mode: explicit indices, e.g. 3,17,42")
    g.add_argument("--seed", type=non_negative_int, default=0, help="seeds the forget set and the unlearning")
    g = p.add_argument_group("model and device")
    g.add_argument("--model", default="cnn", help=f"one of {', '.join(MODELS)} (default: cnn)")
    g.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICE_CHOICES)}")
    g.add_argument("--no-cache", action="store_true", help="train original and retrain afresh (for timings)")
    g = p.add_argument_group("hyperparameters (default: the dataset's; --paper-defaults for the paper's)")
    for name, (kind, text) in HYPERPARAMETERS.items():
        g.add_argument("--" + name.replace("_", "-"), type=kind, default=None, help=text)
    g.add_argument("--paper-defaults", action="store_true", help="start from the paper's values, not the dataset's")


def experiment_from_args(args: argparse.Namespace, method: str = "contrastive"):
    from .experiment import Experiment

    if args.dataset not in DATASETS:
        raise UserInputError(f"unknown dataset {args.dataset!r}; valid: {', '.join(DATASETS)}")
    if args.model not in MODELS:
        raise UserInputError(f"unknown model {args.model!r}; valid: {', '.join(MODELS)}")
    if args.mode not in MODES:
        raise UserInputError(f"unknown mode {args.mode!r}; valid: {', '.join(MODES)}")
    from .baselines import method_unlearn_config
    from .runner import METHODS

    if method not in METHODS:
        raise UserInputError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    overrides = {k: getattr(args, k) for k in HYPERPARAMETERS if getattr(args, k) is not None}
    unlearn_cfg = method_unlearn_config(method, args.dataset, args.mode, paper=args.paper_defaults,
                                        seed=args.seed, **overrides)
    return Experiment(
        data=DataConfig(dataset=args.dataset, data_dir=args.data_dir, download=args.download),
        forget=ForgetConfig(mode=args.mode, forget_class=args.forget_class, count=args.forget_count,
                            indices=tuple(args.forget_indices), seed=args.seed),
        model=ModelConfig(args.model), unlearn=unlearn_cfg, method=method, device=args.device,
        use_cache=not args.no_cache,
    )


def write_json_atomic(path: Path, obj) -> None:
    """Write all or nothing: a temporary file in the same folder, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_out_path(out: str | None) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if not path.parent.is_dir():
        raise UserInputError(f"cannot write {out}: folder {path.parent} does not exist")
    if path.is_dir():   # caught here, before the run, not by the rename after it
        raise UserInputError(f"cannot write {out}: it is a folder; give a file name such as {path / 'run.json'}")
    return path


def format_metrics_table(report: dict) -> str:
    """Rows: metrics that apply to the mode; columns: original / unlearned / retrain (percent)."""
    m = report["metrics"]
    cols = ("original", "unlearned", "retrain")
    lines = [f"{'metric':<18}" + "".join(f"{c:>12}" for c in cols)]
    for key in (*METRIC_KEYS, "avg_gap"):
        if m["unlearned"].get(key) is None:
            continue
        lines.append(f"{key:<18}" + "".join(f"{100 * m[c][key]:>11.2f}%" for c in cols))
    lines.append("mia_member_rate: paper's MIA, share of D^u_tr called member (lower = more forgotten; target: retrain)")
    lines.append("mia_efficacy: SalUn's MIA, share of D^u_tr called non-member (higher = more forgotten; target: retrain)")
    return "\n".join(lines)


def cmd_run(args) -> int:
    from .experiment import prepare, run_prepared

    out = check_out_path(args.out)
    exp = experiment_from_args(args, args.method)
    prep = prepare(exp)
    cfg = exp.unlearn_config()
    per_round = -(-len(prep.split.forget_train) // cfg.batch_size) * cfg.omega
    # The step count is known ahead only for the contrastive loop; a baseline's bar just counts.
    total = min(cfg.max_steps, per_round * cfg.max_rounds) if exp.method == "contrastive" else None
    bar = tqdm(total=total, desc="unlearning", unit="step")

    def on_step(step):
        bar.n = step.step
        if step.termination is not None:
            bar.set_postfix(forget=f"{step.termination.value:.3f}", threshold=f"{step.termination.threshold:.3f}")
        bar.refresh()

    report = run_prepared(prep, on_step)
    bar.close()
    print(f"{report['method']} on {report['dataset']}/{report['model']}, {report['mode']} mode, "
          f"{report['forget']['size']} forget samples, seed {report['seed']}, device {report['device']}")
    print(f"stop: {report['stop_reason']} after {report['steps']} steps, {report['seconds']:.2f} s; retrain "
          f"{report['retrain_seconds']:.2f} s ({report['retrain_seconds_source']}): {report['speedup']:.1f}x faster")
    print(format_metrics_table(report))
    if out is not None:
        write_json_atomic(out, report)
        print(f"wrote {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .runner import METHODS

    parser = OneLineParser(prog="python -m unlearn_core", description="Contrastive machine unlearning.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    run = sub.add_parser("run", help="unlearn once and compare with the original and retrained models")
    add_experiment_args(run)
    run.add_argument("--method", default="contrastive",
                     help=f"one of {', '.join(METHODS)} (default: contrastive); a baseline starts from its paper's "
                          "hyperparameters, adapted to the dataset (see docs/COMPARE.md)")
    run.add_argument("--out", help="write the run as one JSON object to this file")
    run.set_defaults(func=cmd_run)
    for register in COMMANDS:
        register(sub)
    return parser


# Further subcommands (compare, sweep) register here: each takes the subparsers object.
COMMANDS: list = []
from .sweep import add_sweep_command; COMMANDS.append(add_sweep_command)  # noqa: E402,E702
from .compare import add_compare_command; COMMANDS.append(add_compare_command)  # noqa: E402,E702


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130
