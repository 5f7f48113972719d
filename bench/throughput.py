"""Headless engine throughput and the peak memory of a run.

    python -m bench.throughput [--quick]

Steps per second of the unlearning loop alone (no eval, no probe), and with the default eval
cadence, on digits; then the peak resident memory of a whole CLI-style run in a child process
(ru_maxrss), so the figure is this run's and not the benchmark harness's.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

from unlearn_core import Experiment, ForgetConfig, prepare, unlearn

from .common import median, print_figures

_PEAK_SCRIPT = """
import json, resource
from unlearn_core import Experiment, ForgetConfig, run_experiment
run_experiment(Experiment(forget=ForgetConfig(mode={mode!r}), device="cpu"))
print(json.dumps({{"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def steps_per_second(prep, cfg, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        model = prep.fresh_model()
        steps = unlearn(model, prep.data, prep.split, cfg, device=prep.device, final_metrics=False)
        last = None
        for last in steps:
            pass
        rates.append(last.step / last.seconds)
    return median(rates)


def peak_memory(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT.format(mode=mode)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"]


def run(quick: bool = False) -> dict:
    repeats = 3 if quick else 7
    prep = prepare(Experiment(forget=ForgetConfig(mode="class"), device="cpu"))
    base = prep.exp.unlearn_config()
    # A fixed budget of steps, no termination: 2 rounds = 24 steps; eval only at the very end.
    no_eval = replace(base, max_rounds=2, eval_every=10_000)
    with_eval = replace(base, max_rounds=2)
    return {
        "description": "digits, small CNN, class 5, CPU: steps per second of the unlearning loop "
                       "(median over repeats), and the peak resident memory of a whole run",
        "steps_per_second_updates_only": steps_per_second(prep, no_eval, repeats),
        "steps_per_second_with_eval_every_4": steps_per_second(prep, with_eval, repeats),
        "batch": f"{base.batch_size} forget + {base.batch_size} remaining images per step",
        "peak_rss_mb_class_run": peak_memory("class"),
        "peak_rss_mb_sample_run": peak_memory("sample"),
    }


if __name__ == "__main__":
    print_figures("throughput", run(quick="--quick" in sys.argv))
