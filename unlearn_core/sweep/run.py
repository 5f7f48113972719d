"""Run a sweep on Ray Tune and get its results table back.

    table = run_sweep(exp, SweepSpec(dimensions=(Dimension("lr", values=(1e-2, 3e-2)),), seeds=(0, 1)),
                      SweepOptions(scheduler="asha"), on_event=print)

The driver (this process) prepares the experiment once: the data and the original model (the engine's
disk cache), and per seed its split and the retrain reference with its metrics (experiment.prepare and
experiment.reference). That goes into Ray's object store once (tune.with_parameters), so no trial trains
anything and cluster workers need neither the dataset files nor the model cache. Each trial runs the
engine's one run-and-report path (experiment.run_method) and reports every evaluated step to Tune (step,
seconds, `eval_gap`: the small eval sets' mean distance to retrain's), so ASHA can stop trials that are
behind at the same step; its last report adds the run's outcome and every metric on the full splits.

Ray is an optional extra (requirements-sweep.txt): it is imported only when a sweep runs.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import UserInputError
from ..experiment import Experiment, prepare, reference, run_method
from ..splits import make_split
from .options import SweepOptions, require_ray
from .space import SweepSpec, param_space, search_alg, trial_configs
from .table import results_table

# ASHA's default grace, in rounds. Forget accuracy plateaus and then falls off a cliff (digits, class 5,
# lr 1e-2: 1.0 until step 12, 0.0 at 20; a round is 12 steps) while remaining accuracy dips first: judged
# after one round, the trial that wins looks worst. Two rounds of the paper's three leave the cliff behind.
GRACE_ROUNDS = 2
EventHandler = Callable[[dict], None]      # plain JSON-ready dicts: {"event": "trial_result", "trial": 3, ...}


def init_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Start local Ray (all cores by default) or join `address`; True if this call started it."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")      # a teaching tool should not phone home
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")           # the new console prints a banner even at verbose=0
    # Ctrl-C should stop the sweep, not end it "gracefully" with half-run trials that look like ASHA's.
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")
    # Ship the engine to the workers, so a cluster runs the driver's code.
    runtime_env = {"py_modules": [str(Path(__file__).resolve().parents[1])], "excludes": ["__pycache__"]}
    try:
        ray.init(address=address, num_cpus=None if address else num_cpus or os.cpu_count(), include_dashboard=False,
                 log_to_driver=False, configure_logging=False, runtime_env=runtime_env)
    except (ConnectionError, ValueError, RuntimeError) as err:
        raise UserInputError(f"cannot start Ray on {address or 'this machine'}: {str(err).splitlines()[0]}") from None
    return True


def eval_gap(accs: dict, retrain_accs: dict) -> float:
    """Mean |accuracy - retrain's| over the small eval sets: Avg. Gap's cheap cousin, for ASHA."""
    gaps = [abs(v - retrain_accs[k]) for k, v in accs.items() if v is not None and retrain_accs.get(k) is not None]
    return float(np.mean(gaps)) if gaps else float("nan")


def run_trial(config: dict, seeds: dict, threads: float) -> None:
    """Tune's trainable: one run of the method with this trial's settings, on its seed's shared references."""
    import torch
    from ray import tune

    from ..devices import pick_device

    torch.set_num_threads(max(1, int(threads)))        # the CPUs Ray gave this trial, no more
    prep, ref = seeds[config["seed"]]
    prep = replace(prep, device=pick_device(prep.exp.device))   # Ray shows a trial only its own GPUs
    cfg = replace(prep.exp.unlearn_config(), **config)

    def on_step(step) -> None:
        if step.eval is not None and not step.stop:
            tune.report({"step": step.step, "seconds": step.seconds, "final": False,
                         "eval_gap": eval_gap(step.eval, ref.retrain_eval)})

    run = run_method(prep, ref, cfg=cfg, on_step=on_step)
    report, last_eval = run.report, next((s.eval for s in reversed(run.steps) if s.eval is not None), {})
    tune.report({"step": report["steps"], "seconds": report["seconds"], "final": True,
                 "eval_gap": eval_gap(last_eval, ref.retrain_eval), "outcome": report["outcome"],
                 "stop_reason": report["stop_reason"], "speedup": report["speedup"], **report["metrics"]["unlearned"]})


def prepare_seeds(exp: Experiment, seeds, progress=None, emit: EventHandler = lambda e: None):
    """(prep, {seed: (seeded prep, Reference)}): the data and the original once, a split and retrain per seed."""
    emit({"event": "phase", "phase": "original model", "detail": "training (or loading) the original model"})
    prep = prepare(exp, progress)
    prep.original.model.cpu()      # shipped to trials that may have no GPU; each moves its own copy
    shared = {}
    for seed in seeds:
        seeded = replace(exp, forget=replace(exp.forget, seed=seed))
        p = replace(prep, exp=seeded, split=make_split(prep.data, seeded.forget))
        emit({"event": "phase", "phase": "retrain reference", "detail": f"seed {seed}: training (or loading) retrain"})
        ref = reference(p, progress, evidence=None)   # trials rank by eval gap: no relearn test or probe
        shared[seed] = (p, replace(ref, retrain=replace(ref.retrain, model=None)))   # trials need only its figures
    return prep, shared


# The running sweeps' event handler and stop test, by key. Tune pickles its callbacks and stoppers with the
# experiment's state, and a handler may hold what does not pickle (the app's Job holds locks): they keep a key.
_HOOKS: dict[int, tuple[EventHandler, Callable[[], bool] | None]] = {}


def _events(key: int):
    from ray import tune
    from ray.tune.stopper import Stopper

    def hooks():
        # Through sys.modules: cloudpickle copies the globals a nested function names, and _HOOKS must stay here.
        return sys.modules[__name__]._HOOKS[key]

    def emit(event: dict) -> None:
        hooks()[0](event)

    def number(trial) -> int:     # Tune's trial ids end in their launch index: prefix_00000, prefix_00001, ...
        return int(trial.trial_id.rsplit("_", 1)[1])

    class Events(tune.Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            emit({"event": "trial_result", "trial": number(trial), **{k: result[k] for k in (
                "step", "seconds", "eval_gap", "final", "outcome", "avg_gap") if k in result}})

        def on_trial_complete(self, iteration, trials, trial, **info):
            emit({"event": "trial_complete", "trial": number(trial)})

        def on_trial_error(self, iteration, trials, trial, **info):
            emit({"event": "trial_error", "trial": number(trial)})

    class StopAll(Stopper):
        def __call__(self, trial_id, result):
            return False

        def stop_all(self):
            should_stop = hooks()[1]
            return bool(should_stop and should_stop())

    return Events(), StopAll()


def run_sweep(exp: Experiment, spec: SweepSpec, options: SweepOptions = SweepOptions(), *,
              on_event: EventHandler | None = None, progress=None,
              should_stop: Callable[[], bool] | None = None) -> pd.DataFrame:
    """Every trial of `spec` on Ray Tune; the results table (table.results_table). `should_stop()` True
    ends the sweep (UserInputError: nothing is returned). Ray is shut down only if this call started it."""
    emit = on_event or (lambda event: None)
    options.validate()
    base = exp.unlearn_config()
    configs = trial_configs(spec, base)          # checks everything before anything is trained
    if exp.device == "cuda" and options.gpus_per_trial == 0:
        raise UserInputError("--device cuda needs GPUs per trial; --gpus-per-trial is 0")
    ray = require_ray()
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    prep, shared = prepare_seeds(exp, sorted({c["seed"] for c in configs}), progress, emit)
    forget_size = len(prep.split.forget_train)
    emit({"event": "phase", "phase": "starting Ray", "detail": options.address or "local"})
    started = init_ray(options.address)
    storage = options.storage or tempfile.mkdtemp(prefix="unlearn-sweep-")
    try:
        gpus = options.gpus_per_trial
        if gpus is None:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 and exp.device in ("auto", "cuda") else 0
        if exp.device == "cuda" and gpus == 0:
            raise UserInputError("--device cuda needs GPUs per trial: this cluster has none")
        cfgs = [replace(base, **c) for c in configs]
        per_round = [-(-forget_size // c.batch_size) * c.omega for c in cfgs]
        budget = max(min(c.max_steps, c.max_rounds * r) for c, r in zip(cfgs, per_round))
        # max_t one past the longest budget: a trial at its last step still sends its final report.
        scheduler = ASHAScheduler(time_attr="step", max_t=budget + 1, grace_period=min(
            options.grace_steps or GRACE_ROUNDS * min(per_round), budget)) if options.scheduler == "asha" \
            else FIFOScheduler()
        trainable = tune.with_resources(tune.with_parameters(run_trial, seeds=shared, threads=options.cpus_per_trial),
                                        {"cpu": options.cpus_per_trial, "gpu": gpus})
        emit({"event": "start", "trials": len(configs), "cpus_per_trial": options.cpus_per_trial,
              "gpus_per_trial": gpus, "cluster": options.address or "local"})
        key = id(emit)
        _HOOKS[key] = (emit, should_stop)
        callback, stopper = _events(key)
        grid = tune.Tuner(trainable, param_space=param_space(spec, base), tune_config=tune.TuneConfig(
            metric="eval_gap", mode="min", scheduler=scheduler, search_alg=search_alg(spec),
            num_samples=spec.samples or 1, max_concurrent_trials=options.max_concurrent, reuse_actors=True),
            run_config=tune.RunConfig(name="unlearn-sweep", storage_path=str(Path(storage).resolve()), verbose=0,
                                      callbacks=[callback], stop=stopper,
                                      failure_config=tune.FailureConfig(max_failures=0))).fit()
        if should_stop and should_stop():
            raise UserInputError("the sweep was stopped; nothing was written")
        frame = grid.get_dataframe()
    finally:
        _HOOKS.pop(id(emit), None)
        if started:
            ray.shutdown()
        if options.storage is None:
            shutil.rmtree(storage, ignore_errors=True)
    # Trials that failed before their first report have no row in Tune's frame: add them with their error.
    reported = set(frame["trial_id"]) if "trial_id" in frame else set()
    errors = {r.metrics.get("trial_id"): _first_line(r.error) for r in grid if r.error}
    frame = pd.concat([frame, pd.DataFrame([{"trial_id": r.metrics.get("trial_id"), **{
        f"config/{k}": v for k, v in r.config.items()}} for r in grid if r.metrics.get("trial_id") not in reported])])
    frame["error"] = frame["trial_id"].map(errors)
    table = results_table(frame, exp, {s: ref for s, (_, ref) in shared.items()}, prep.original.seconds, forget_size)
    emit({"event": "finished", "trials": len(configs)})
    return table


def _first_line(error) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return (lines[-1] if lines else type(error).__name__)[:300]    # Ray's wrapper ends with "Type: message"
