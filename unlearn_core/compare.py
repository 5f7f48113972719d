"""Several unlearning methods x seeds on the same forget set, from the same original model.

    prep = prepare(Experiment(forget=ForgetConfig(mode="class", forget_class=5)))
    ref = reference(prep)                                     # original and retrain metrics, once per seed
    runs = [run_method(prep, ref, m) for m in ("contrastive", "neggrad", "finetune")]
    rows = summarise([r.report for r in runs])                # mean and std per method, best marked
    print(format_table(rows))

Each run's report is `run`'s JSON object (experiment.build_report) with `method` naming the method, so
`python -m unlearn_core compare ... --out cmp.json` writes {"runs": [report, ...]}, one per method and
seed, rewritten after every finished run with "complete" and "planned" (compare_file.py); `--resume` keeps the
runs in it (compare_methods' `skip`) once resume_mismatch() found each one the run this comparison would
make. The original's and the retrain reference's metrics are computed once per seed and shared by all
methods of that seed. Every method starts from its own defaults (baselines.method_unlearn_config) with
the run options' hyperparameters, when given, laid over every method alike.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import replace
from typing import Callable, Collection, Sequence

from .baselines import METHOD_TITLES, method_unlearn_config
from .configs import UnlearnConfig, config_dict
from .errors import UserInputError
from .evidence import EVIDENCE_LABELS, evidence_row, steps_for_mean
from .experiment import Experiment, MethodRun, prepare, reference, run_method
from .runner import METHODS
from .termination import termination_test

# Every method, in display order: the method of the paper first, then the baselines.
ALL_METHODS = tuple(METHODS)
# The table's columns per mode: (key in the report, header, kind). Accuracies and MIA shares are
# compared with the retrain reference ("closest is best"); Avg. Gap and time: lower is best;
# speed-up: higher is best.
COLUMNS = {
    "class": (("remain_test_acc", "D^r_ts acc", "metric"), ("forget_train_acc", "D^u_tr acc", "metric"),
              ("forget_test_acc", "D^u_ts acc", "metric"), ("mia_efficacy", "MIA-eff.", "metric"),
              ("mia_member_rate", "MIA member", "metric"), ("privacy_score", "privacy", "metric"),
              ("avg_gap", "Avg. Gap", "lower"), ("seconds", "time (s)", "lower"), ("speedup", "speed-up", "higher"),
              ("flops_speedup", "FLOPs speed-up", "higher")),
    "sample": (("test_acc", "D_ts acc", "metric"), ("remain_train_acc", "D^r_tr acc", "metric"),
               ("forget_train_acc", "D^u_tr acc", "metric"), ("mia_efficacy", "MIA-eff.", "metric"),
               ("mia_member_rate", "MIA member", "metric"), ("privacy_score", "privacy", "metric"),
               ("avg_gap", "Avg. Gap", "lower"), ("seconds", "time (s)", "lower"), ("speedup", "speed-up", "higher"),
               ("flops_speedup", "FLOPs speed-up", "higher")),
}
# Does it really forget? (evidence.py) Relearn steps and probe accuracy beside the output metrics, closest to
# the retrain reference is best. Kept apart from COLUMNS so that tables built on COLUMNS keep their shape;
# summarise() puts them in every row's "values" (mean, std) and format_table() prints them.
EVIDENCE_COLUMNS = (("relearn_steps", "relearn steps", "metric"), ("probe_acc", "probe acc", "metric"))


def evidence_values(report: dict, name: str) -> dict:
    """{"relearn_steps", "probe_acc"} of one model of a run ("original", "unlearned", "retrain"); relearn steps
    past the cap count as cap + 1 (a lower bound); {} where the run has no evidence."""
    evidence = (report.get("evidence") or {}).get(name)
    if not evidence:
        return {}
    return {"relearn_steps": steps_for_mean(evidence), "probe_acc": evidence_row(evidence)["probe_acc"]}


# Retrain run as a method is the reference itself: shown for its time and its seed-to-seed spread, but
# never "best" and never the winner of the Avg.-Gap criterion.
NOT_COMPETING = ("retrain",)


def method_configs(exp: Experiment, methods: Sequence[str], seeds: Sequence[int], overrides: dict | None = None,
                   paper: bool = False, per_method: dict[str, dict] | None = None) -> dict[int, dict[str, UnlearnConfig]]:
    """{seed: {method: config}}: each method's defaults with `overrides` laid over all alike, then
    `per_method[method]` (tuning.tune_methods' choices), seeded with the seed; every one checked."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UserInputError(f"unknown method {unknown[0]!r}; valid: {', '.join(METHODS)}")
    if not methods or not seeds:
        raise UserInputError("compare needs at least one method and one seed")
    per_method = per_method or {}
    recipe = exp.train_config()
    configs = {seed: {m: method_unlearn_config(m, exp.data.dataset, exp.forget.mode, paper=paper, recipe=recipe, **{
        **(overrides or {}), **per_method.get(m, {}), "seed": seed}) for m in methods}
               for seed in seeds}
    for by_method in configs.values():
        for cfg in by_method.values():
            cfg.validate()
    return configs


def compare_methods(exp: Experiment, methods: Sequence[str], seeds: Sequence[int], overrides: dict | None = None,
                    paper: bool = False, on_run: Callable[[MethodRun], None] | None = None,
                    on_start: Callable[[int, str], None] | None = None,
                    per_method: dict[str, dict] | None = None,
                    skip: Collection[tuple[int, str]] = ()) -> list[MethodRun]:
    """Every method on every seed (a seed draws the forget set and seeds the unlearning), each from its
    own defaults with `overrides` laid over all alike, then `per_method[method]` (tuning.tune_methods'
    choices). Every configuration is built and checked before anything is trained; the retrain reference
    is built once per seed and shared by its methods. The (seed, method) pairs in `skip` (runs an earlier,
    interrupted compare finished: `--resume`) are not run, and a seed with nothing left to run is not
    prepared at all. Returns the runs made, in order."""
    configs = method_configs(exp, methods, seeds, overrides, paper, per_method)
    skip = set(skip)
    runs = []
    for seed in seeds:
        todo = [m for m in methods if (seed, m) not in skip]
        if not todo:
            continue
        prep = prepare(replace(exp, forget=replace(exp.forget, seed=seed), method=todo[0],
                               unlearn=configs[seed][todo[0]]))
        ref = reference(prep)
        for method in todo:
            if on_start is not None:
                on_start(seed, method)
            run = run_method(prep, ref, method, configs[seed][method])
            runs.append(run)
            if on_run is not None:
                on_run(run)
    return runs


def _plain(value):
    """A value as it reads back from the JSON file (tuples as lists), for comparing with a stored report."""
    return json.loads(json.dumps(value))


def resume_mismatch(report: dict, exp: Experiment, cfg: UnlearnConfig) -> str | None:
    """Why a stored run report (from an earlier compare's file) is not the run this comparison would make for
    its seed and method, in a few words; None when it is. Compared: what the report records of the experiment
    (dataset, model, mode, the forget set's settings, the training recipe) and the method's hyperparameters, which
    carry the overrides, --paper-defaults and tuning's choices. Not compared: device, times, outcomes."""
    seed = report["seed"]
    forget = {k: v for k, v in report["forget"].items() if k != "size"}
    expected = {"dataset": exp.data.dataset, "model": exp.model.name, "mode": exp.forget.mode,
                "forget": _plain(config_dict(replace(exp.forget, seed=seed))),
                "train": _plain(config_dict(exp.train_config())),
                "hyperparameters": _plain(config_dict(cfg))}
    stored = {"dataset": report["dataset"], "model": report["model"], "mode": report["mode"], "forget": forget,
              "train": report["train"], "hyperparameters": report["hyperparameters"]}
    for key, want in expected.items():
        have = stored[key]
        if have == want:
            continue
        if isinstance(want, dict) and isinstance(have, dict):
            for field in sorted(set(want) | set(have)):
                if want.get(field, "(none)") != have.get(field, "(none)"):
                    return (f"{key} {field}: {have.get(field, '(none)')!r} in the file, {want.get(field, '(none)')!r} "
                            "here")
        return f"{key}: {have!r} in the file, {want!r} here"
    return None


def reached(report: dict) -> bool:
    """Does the final model pass the paper's test on the full sets? (Whole-budget methods never *stop* on
    the test, but can pass it.)"""
    return termination_test(report["mode"], report["num_classes"], report["metrics"]["unlearned"]).fired


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
    columns = COLUMNS[mode] + EVIDENCE_COLUMNS
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
    rows = [metric_row("original", "Original", [r["metrics"]["original"] | evidence_values(r, "original")
                                                for r in per_seed]),
            metric_row("reference", "Retrain (reference)", [r["metrics"]["retrain"] | evidence_values(r, "retrain")
                                                            for r in per_seed])]
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
                      else r["cost"]["flops_speedup"] if key == "flops_speedup"
                      else (r["metrics"]["unlearned"] | evidence_values(r, "unlearned")).get(key) for r in runs]
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
    names = ", ".join(r["title"] for r in eligible)
    return best["method"], (f"smallest Avg. Gap among methods passing the test in every seed ({names}): "
                            f"{best['title']} ({100 * best['values']['avg_gap'][0]:.2f}%)")


def format_table(rows: list[dict]) -> str:
    """The paper's shape: methods as rows, mean ± std over seeds (accuracies and MIA in percent); '*'
    marks the best competing method per column (closest to retrain, or lowest / highest)."""
    if not rows:
        return "(no runs)"
    mode = rows[0]["mode"]
    columns = COLUMNS[mode] + tuple(c for c in EVIDENCE_COLUMNS if any(c[0] in row["values"] for row in rows))
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
            scale = 1 if key in ("seconds", "speedup", "flops_speedup", "privacy_score", "relearn_steps") else 100
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
    lines.append("privacy: worst-case privacy score against the retrain model on D^u_tr, 0..1 (1 = indistinguishable "
                 "from retrain; docs/COMPARE.md)")
    if any("relearn_steps" in row["values"] for row in rows):
        lines.append(EVIDENCE_LABELS["relearn_steps"] + " (a run that never got there within the cap counts as "
                     "cap + 1, a lower bound)")
        lines.append(EVIDENCE_LABELS["probe_acc"])
    lines.append("FLOPs speed-up: the retrain's training FLOPs over the method's (termination evaluations included), "
                 "the same on any machine")
    return "\n".join(lines)
