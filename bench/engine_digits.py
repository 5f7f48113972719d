"""The engine on the digits default: does it terminate, keep utility, and beat retraining?

    python -m bench.engine_digits            # 3 seeds
    python -m bench.engine_digits --quick    # 1 seed

For each seed, in one process and one run: train the original uncached (timed), load it back from
the cache (timed), then for class 5 and for 100 random samples train the retrain reference uncached
and unlearn right after it, so the speed-up is a ratio measured side by side.
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace

from unlearn_core import DataConfig, Experiment, ForgetConfig, get_original, prepare, reference, run_method
from unlearn_core.configs import ModelConfig, default_train_config

from .common import machine, median, print_figures, private_cache


def _run_mode(forget: ForgetConfig, seed: int) -> dict:
    exp = Experiment(forget=forget, device="cpu")
    exp = replace(exp, unlearn=replace(exp.unlearn_config(), seed=seed))
    prep = prepare(exp)                        # original from the cache (trained by the caller)
    # use_cache=False for the retrain only: it is trained in this run, right after the unlearning.
    prep = replace(prep, exp=replace(exp, use_cache=False))
    run = run_method(prep, reference(prep))       # the retrain, trained now, then the unlearning: side by side
    report = run.report
    m = report["metrics"]
    utility = "remain_test_acc" if forget.mode == "class" else "test_acc"
    return {
        "terminated": report["terminated"], "steps": report["steps"],
        "unlearn_seconds": report["seconds"], "retrain_seconds": report["retrain_seconds"],
        "speedup": report["speedup"],
        "utility_original": m["original"][utility], "utility_unlearned": m["unlearned"][utility],
        "utility_drop_points": 100 * (m["original"][utility] - m["unlearned"][utility]),
        "forget_train_acc": m["unlearned"]["forget_train_acc"], "forget_test_acc": m["unlearned"]["forget_test_acc"],
        "avg_gap": m["unlearned"]["avg_gap"],
    }


def run(quick: bool = False) -> dict:
    seeds = [0] if quick else [0, 1, 2]
    with private_cache():
        data_cfg, model_cfg, train_cfg = DataConfig(), ModelConfig(), default_train_config("digits")
        start = time.perf_counter()
        get_original(data_cfg, model_cfg, train_cfg, device="cpu", progress=lambda done, total: None)
        train_wall = time.perf_counter() - start
        start = time.perf_counter()
        cached = get_original(data_cfg, model_cfg, train_cfg, device="cpu")
        load_wall = time.perf_counter() - start
        assert cached.from_cache
        modes = {
            "class_5": [_run_mode(ForgetConfig(mode="class", forget_class=5), s) for s in seeds],
            "sample_100": [_run_mode(ForgetConfig(mode="sample", count=100, seed=s), s) for s in seeds],
        }
    summary = {}
    for name, runs in modes.items():
        summary[name] = {
            "seeds": seeds,
            "all_terminated": all(r["terminated"] for r in runs),
            "median_steps": median(r["steps"] for r in runs),
            "median_speedup": median(r["speedup"] for r in runs),
            "min_speedup": min(r["speedup"] for r in runs),
            "max_utility_drop_points": max(r["utility_drop_points"] for r in runs),
            "max_forget_train_acc": max(r["forget_train_acc"] for r in runs),
            "runs": runs,
        }
        if name.startswith("class"):
            summary[name]["max_forget_test_acc"] = max(r["forget_test_acc"] for r in runs)
    return {
        "description": "digits, small CNN, CPU: termination, utility kept, speed-up over retraining "
                       "(retrain trained in the same run, right before the unlearning)",
        "machine": machine(),
        "original_train_seconds_uncached": train_wall,
        "original_load_seconds_cached": load_wall,
        **summary,
    }


if __name__ == "__main__":
    print_figures("engine_digits", run(quick="--quick" in sys.argv))
