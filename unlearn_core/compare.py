"""Several unlearning methods x seeds on the same forget set, from the same original model.

    prep = prepare(Experiment(forget=ForgetConfig(mode="class", forget_class=5)))
    refs = references(prep)                                   # original and retrain metrics, once per seed
    runs = [run_method(prep, m, refs) for m in ("contrastive", "neggrad", "finetune")]
    rows = summarise([r.report for r in runs])                # mean and std per method, best marked
    print(format_table(rows))

Each run's report is `run`'s JSON object (experiment.build_report) with `method` naming the method, so
`python -m unlearn_core compare ... --out cmp.json` writes {"runs": [report, ...]}, one per method and
seed. The original's and the retrain reference's metrics are computed once per seed and shared by all
methods of that seed. Every method starts from its own defaults (baselines.method_unlearn_config) with
the run options' hyperparameters, when given, laid over every method alike.
"""
from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from .baselines import METHOD_TITLES, method_unlearn_config
from .configs import UnlearnConfig
from .errors import UserInputError
from .experiment import Prepared, build_report, prepare
from .metrics import evaluate_model
from .runner import METHODS, unlearn
from .steps import Step
from .training import Progress, TrainedModel

# Every method, in display order: the method of the paper first, then the baselines.
ALL_METHODS = tuple(METHODS)
# The table's columns per mode: (key in the report, header, kind). Accuracies and MIA shares are
# compared with the retrain reference ("closest is best"); Avg. Gap and time: lower is best;
# speed-up: higher is best.
COLUMNS = {
    "class": (("remain_test_acc", "D^r_ts acc", "metric"), ("forget_train_acc", "D^u_tr acc", "metric"),
              ("forget_test_acc", "D^u_ts acc", "metric"), ("mia_efficacy", "MIA-eff.", "metric"),
              ("mia_member_rate", "MIA member", "metric"), ("avg_gap", "Avg. Gap", "lower"),
              ("seconds", "time (s)", "lower"), ("speedup", "speed-up", "higher")),
    "sample": (("test_acc", "D_ts acc", "metric"), ("remain_train_acc", "D^r_tr acc", "metric"),
               ("forget_train_acc", "D^u_tr acc", "metric"), ("mia_efficacy", "MIA-eff.", "metric"),
               ("mia_member_rate", "MIA member", "metric"), ("avg_gap", "Avg. Gap", "lower"),
               ("seconds", "time (s)", "lower"), ("speedup", "speed-up", "higher")),
}
# Retrain run as a method is the reference itself: shown for its time and its seed-to-seed spread, but
# never "best" and never the winner of the Avg.-Gap criterion.
NOT_COMPETING = ("retrain",)


@dataclass
class References:
    """What every method of one seed is measured against."""
    retrain: TrainedModel
    original_metrics: dict
    retrain_metrics: dict


@dataclass
class MethodRun:
    report: dict                 # run's JSON object
    steps: list[Step]            # the evaluated or probed Steps (for curves and embedding maps)


def references(prep: Prepared, progress: Progress | None = None) -> References:
    """The retrain reference (trained once, then cached) and the metrics of original and retrain."""
    retrain = prep.retrain(progress)
    return References(retrain, evaluate_model(prep.original.model, prep.data, prep.split, prep.device),
                      evaluate_model(retrain.model, prep.data, prep.split, prep.device))


def method_config(prep: Prepared, method: str, paper: bool = False, **overrides) -> UnlearnConfig:
    """`method`'s defaults for prep's dataset and mode, with prep's unlearning seed and the overrides."""
    exp = prep.exp
    overrides.setdefault("seed", exp.unlearn_config().seed)
    return method_unlearn_config(method, exp.data.dataset, exp.forget.mode, paper=paper, **overrides)


def run_method(prep: Prepared, method: str, refs: References, cfg: UnlearnConfig | None = None,
               on_step: Callable[[Step], None] | None = None) -> MethodRun:
    """Unlearn a fresh copy of prep's original with `method` (cfg: its defaults when None) and report."""
    if method not in METHODS:
        raise UserInputError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    cfg = cfg or method_config(prep, method)
    prep = replace(prep, exp=replace(prep.exp, method=method, unlearn=cfg))
    kept: list[Step] = []
    for step in unlearn(prep.fresh_model(), prep.data, prep.split, cfg, method=method, device=prep.device):
        if step.eval is not None or step.probe is not None:
            kept.append(step)
        if on_step is not None:
            on_step(step)
    report = build_report(prep, kept[-1], kept, refs.retrain, refs.original_metrics, refs.retrain_metrics)
    return MethodRun(report, kept)


def reached(report: dict) -> bool:
    """Did the final model pass the paper's test on the full sets? Class: Acc(D^u_ts) <= 1/C; sample:
    Acc(D^u_tr) <= Acc(D_ts). (Whole-budget methods never *stop* on the test, but can pass it.)"""
    m = report["metrics"]["unlearned"]
    if report["mode"] == "class":
        return m["forget_test_acc"] <= report["history"][-1]["termination"]["threshold"] + 1e-12
    return m["forget_train_acc"] <= m["test_acc"]


def _mean_std(values: list[float]) -> tuple[float, float]:
    return float(statistics.fmean(values)), float(statistics.pstdev(values)) if len(values) > 1 else 0.0


def summarise(reports: Sequence[dict]) -> list[dict]:
    """One row per method (in first-seen order), plus "original" and "retrain (reference)" rows first:
    {"method", "title", "mode", "seeds", "reached" (seeds passing the test), "values": {key: (mean, std)},
    "gaps": {key: |mean - reference mean|}, "best": set of keys where the row is best, "speedup_over":
    "retrain run" (the retrain method's time, same seed, when it ran) or "retrain reference"}."""
    if not reports:
        return []
    mode = reports[0]["mode"]
    if any(r["mode"] != mode for r in reports):
        raise UserInputError("cannot summarise class-mode and sample-mode runs in one table")
    columns = COLUMNS[mode]
    by_method: dict[str, list[dict]] = {}
    for r in reports:
        by_method.setdefault(r["method"], []).append(r)

    def metric_row(name: str, title: str, rows_metrics: list[dict]) -> dict:
        values = {k: _mean_std([m[k] for m in rows_metrics]) for k, _, kind in columns
                  if kind != "higher" and k != "seconds" and all(m.get(k) is not None for m in rows_metrics)}
        return {"method": name, "title": title, "mode": mode, "seeds": len(rows_metrics), "reached": None,
                "values": values, "speedup_over": None}

    # Reference rows: one value per seed (every method of a seed shares them).
    per_seed = {r["seed"]: r for r in reports}.values()
    rows = [metric_row("original", "Original", [r["metrics"]["original"] for r in per_seed]),
            metric_row("reference", "Retrain (reference)", [r["metrics"]["retrain"] for r in per_seed])]
    reference = rows[1]["values"]
    # Speed-up over the retrain *run* of the same seed where there is one: both timed side by side, in this
    # process, evaluations included. Otherwise over the reference's training time (maybe from the cache).
    retrain_run = {r["seed"]: r["seconds"] for r in by_method.get("retrain", [])}
    side_by_side = all(r["seed"] in retrain_run for r in reports)

    def speedup(r: dict) -> float | None:
        if side_by_side:
            return retrain_run[r["seed"]] / r["seconds"] if r["seconds"] > 0 else None
        return r["speedup"]

    for method, runs in by_method.items():
        values = {}
        for key, _, kind in columns:
            series = [speedup(r) if key == "speedup" else r[key] if key == "seconds"
                      else r["metrics"]["unlearned"][key] for r in runs]
            if all(v is not None for v in series):
                values[key] = _mean_std(series)
        rows.append({"method": method, "title": METHOD_TITLES.get(method, method), "mode": mode,
                     "seeds": len(runs), "reached": sum(reached(r) for r in runs), "values": values,
                     "speedup_over": "retrain run" if side_by_side else "retrain reference"})
    for row in rows:
        row["gaps"] = {k: abs(v[0] - reference[k][0]) for k, v in row["values"].items()
                       if k in reference and k != "avg_gap"}
        row["best"] = set()
    competing = [row for row in rows[2:] if row["method"] not in NOT_COMPETING]
    for key, _, kind in columns:
        have = [row for row in competing if key in row["values"]]
        if not have:
            continue
        if kind == "metric":
            score = {id(row): row["gaps"].get(key, float("inf")) for row in have}
        else:
            sign = 1 if kind == "lower" else -1
            score = {id(row): sign * row["values"][key][0] for row in have}
        best = min(score.values())
        for row in have:
            if score[id(row)] <= best + 1e-12:
                row["best"].add(key)
    return rows


def winner(rows: list[dict]) -> tuple[str | None, str]:
    """The issue's criterion: the smallest mean Avg. Gap among competing methods whose final model
    passes the test in every seed. Returns (method or None, one-line verdict)."""
    eligible = [r for r in rows[2:] if r["method"] not in NOT_COMPETING and r["reached"] == r["seeds"]
                and "avg_gap" in r["values"]]
    if not eligible:
        return None, "no method passed the termination test in every seed"
    best = min(eligible, key=lambda r: r["values"]["avg_gap"][0])
    names = ", ".join(r["method"] for r in eligible)
    return best["method"], (f"smallest Avg. Gap among methods passing the test in every seed ({names}): "
                            f"{best['method']} ({100 * best['values']['avg_gap'][0]:.2f}%)")


def format_table(rows: list[dict]) -> str:
    """The paper's shape: methods as rows, mean ± std over seeds (accuracies and MIA in percent); '*'
    marks the best competing method per column (closest to retrain, or lowest / highest)."""
    if not rows:
        return "(no runs)"
    mode = rows[0]["mode"]
    columns = COLUMNS[mode]
    test_name = "<=1/C" if mode == "class" else "passed"
    header = f"{'method':<22}" + "".join(f"{title:>16}" for _, title, _ in columns) + f"{test_name:>9}"
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = []
        for key, _, kind in columns:
            if key not in row["values"]:
                cells.append(f"{'-':>16}")
                continue
            mean, std = row["values"][key]
            scale = 1 if key in ("seconds", "speedup") else 100
            text = f"{scale * mean:.2f}±{scale * std:.2f}" + ("*" if key in row["best"] else " ")
            cells.append(f"{text:>16}")
        passed = "" if row["reached"] is None else f"{row['reached']}/{row['seeds']}"
        lines.append(f"{row['title'][:22]:<22}" + "".join(cells) + f"{passed:>9}")
    lines.append("accuracies, MIA shares and Avg. Gap in %, mean±std over seeds; * best competing method per column "
                 "(closest to the retrain reference; lowest Avg. Gap and time; highest speed-up)")
    lines.append("MIA-eff.: SalUn's convention, share of D^u_tr called non-member (higher = more forgotten); "
                 "MIA member: the paper's, share called member (lower = more forgotten); target: retrain for both")
    over = next((row["speedup_over"] for row in rows if row["speedup_over"]), None)
    if over == "retrain run":
        lines.append("speed-up: the retrain run's time over the method's, same seed, timed side by side in this run "
                     "(evaluations included for both)")
    elif over is not None:
        lines.append("speed-up: the retrain reference's training time (measured when it was trained; maybe read "
                     "from the cache) over the method's time (evaluations included); add retrain to --methods to "
                     "time it side by side")
    return "\n".join(lines)


# ---- the `compare` subcommand ---------------------------------------------------------------------

def _name_list(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated method names")
    return names


def _seed_list(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(dict.fromkeys(int(part) for part in text.replace(" ", "").split(",") if part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative seeds, got {text!r}")
    return seeds


def add_compare_command(sub) -> None:
    from .cli import add_experiment_args

    p = sub.add_parser("compare", help="run several methods x seeds on the same forget set and tabulate them")
    add_experiment_args(p)
    p.add_argument("--methods", type=_name_list, default=ALL_METHODS,
                   help=f"comma-separated, from {', '.join(ALL_METHODS)} (default: all)")
    p.add_argument("--seeds", type=_seed_list, default=None,
                   help="comma-separated seeds, e.g. 0,1,2 (default: --seed's value); each seeds the forget set "
                        "draw and the unlearning")
    p.add_argument("--out", help="write {\"runs\": [...]} (one run report per method and seed) to this JSON file")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args) -> int:
    from tqdm.auto import tqdm

    from .cli import check_out_path, experiment_from_args, write_json_atomic

    out = check_out_path(args.out)
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown:
        raise UserInputError(f"unknown method {unknown[0]!r}; valid: {', '.join(METHODS)}")
    seeds = args.seeds if args.seeds is not None else (args.seed,)
    # Every experiment is built (and so validated) before anything is trained.
    experiments = {s: {m: experiment_from_args(argparse.Namespace(**{**vars(args), "seed": s}), m)
                       for m in args.methods} for s in seeds}
    reports = []
    bar = tqdm(total=len(seeds) * len(args.methods), desc="compare", unit="run")
    for seed in seeds:
        first = experiments[seed][args.methods[0]]
        prep = prepare(first)
        refs = references(prep)
        for method in args.methods:
            bar.set_postfix(seed=seed, method=method)
            run = run_method(prep, method, refs, experiments[seed][method].unlearn_config())
            reports.append(run.report)
            bar.update(1)
            m = run.report["metrics"]["unlearned"]
            bar.write(f"seed {seed} {method:<19} {run.report['steps']:>5} steps {run.report['seconds']:>8.2f} s  "
                      f"Avg. Gap {100 * m['avg_gap']:6.2f}%  {run.report['stop_reason']}")
    bar.close()
    first_report = reports[0]
    print(f"{first_report['dataset']}/{first_report['model']}, {first_report['mode']} mode, "
          f"{first_report['forget']['size']} forget samples, seeds {','.join(map(str, seeds))}, "
          f"device {first_report['device']}")
    rows = summarise(reports)
    print(format_table(rows))
    print(winner(rows)[1])
    if out is not None:
        write_json_atomic(out, {"runs": reports})
        print(f"wrote {out}")
    return 0
