"""An equal tuning budget for every method before a comparison: `compare --tune N`.

    tuned = tune_methods(exp, ("contrastive", "neggrad"), budget=8, seed=0)
    tuned["neggrad"].chosen                  # {"lr": 0.021, "max_rounds": 7}: the trial with the smallest eval gap
    runs = compare_methods(exp, methods, seeds, per_method={m: t.chosen for m, t in tuned.items()})

Each method gets the same budget: N random draws (Ray Tune, through unlearn_core.sweep) of its learning
rate (log scale, a tenth to ten times its default) and of its own knob (TUNED_KNOB: the contrastive
method's λ_UL, a baseline's epochs), on one seed's forget set. The winner is the finished trial with the
smallest Avg. Gap on the small eval subsets (`eval_gap`: mean |accuracy - retrain's| over the 256-sample
eval sets the runs evaluate anyway), never the full test sets the comparison then reports. The eval
subsets are drawn from the same splits as the reported sets, so the selection is not fully held out;
docs/COMPARE.md says so beside the tables.

Methods with nothing to tune (Fisher forgetting's knobs are module constants) and the retrain reference
keep their defaults, with a note. Hyperparameters given by the user are fixed and never searched.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

from .baselines import MODULES, method_unlearn_config
from .configs import UnlearnConfig
from .errors import UserInputError
from .experiment import Experiment
from .settings import settings
from .sweep import Dimension, SweepOptions, SweepSpec, finished_trials, init_ray, require_ray, run_sweep

# The method's own knob, searched beside the learning rate. The baselines' own constants (SCRUB's α, SalUn's
# mask share, UNSIR's noise) are not UnlearnConfig fields, so their knob is the one every baseline reads:
# how many epochs it runs (max_rounds).
TUNED_KNOB = {"contrastive": "lambda_ul"}
DEFAULT_KNOB = "max_rounds"
NOT_TUNED = ("retrain",)       # the reference itself: tuning it against itself means nothing
LR_SPAN = 10.0                 # lr drawn from [default / LR_SPAN, default * LR_SPAN], log scale
KNOB_SPAN = 3.0                # a float knob from [default / 3, default * 3]; epochs from [default / 2, default * 2]


@dataclass(frozen=True)
class TuneResult:
    method: str
    chosen: dict                   # the winning trial's searched settings ({} when nothing was searched)
    eval_gap: float | None         # its gap on the eval subsets
    trials: int                    # trials run (the budget, or 0)
    note: str                      # one line: what was searched and what won, or why nothing was

    def as_dict(self) -> dict:
        return {"method": self.method, "chosen": self.chosen, "eval_gap": self.eval_gap, "trials": self.trials,
                "note": self.note}


def uses(method: str) -> tuple[str, ...]:
    """The UnlearnConfig fields the method reads."""
    return tuple(s.name for s in settings(UnlearnConfig)) if method == "contrastive" else MODULES[method].USES


def tuned_dimensions(method: str, cfg: UnlearnConfig, fixed: Sequence[str] = ()) -> tuple[Dimension, ...]:
    """The search around `cfg` (the method's defaults): lr and the method's knob, those it reads and the
    user did not fix, clipped to the settings' bounds."""
    if method in NOT_TUNED:
        return ()
    bounds = {s.name: s for s in settings(UnlearnConfig)}
    dims = []
    for name in ("lr", TUNED_KNOB.get(method, DEFAULT_KNOB)):
        if name not in uses(method) or name in fixed:
            continue
        s, value = bounds[name], getattr(cfg, name)
        if name == "lr":
            low, high, scale = value / LR_SPAN, value * LR_SPAN, "log"
        elif s.kind is int:
            low, high, scale = max(1, value // 2), value * 2, "linear"
        else:
            low, high, scale = value / KNOB_SPAN, value * KNOB_SPAN, "linear"
        low, high = max(low, s.low if s.low is not None else low), min(high, s.high if s.high is not None else high)
        if s.kind is int:
            low, high = int(low), int(high)
        if low < high:
            dims.append(Dimension(name, low=low, high=high, scale=scale))
    return tuple(dims)


def tune_methods(exp: Experiment, methods: Sequence[str], budget: int, seed: int, overrides: dict | None = None,
                 paper: bool = False, options: SweepOptions = SweepOptions(scheduler="fifo"),
                 on_event: Callable[[dict], None] | None = None,
                 on_tuned: Callable[[TuneResult], None] | None = None) -> dict[str, TuneResult]:
    """{method: TuneResult}: `budget` trials per method on the forget set of `seed`, each method from its own
    defaults (with `overrides`, which stay fixed). Ray is started once for all methods (and shut down if
    this call started it); FIFO by default, so that every trial runs its whole course."""
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise UserInputError(f"the tuning budget must be a whole number >= 1, got {budget!r}")
    overrides = dict(overrides or {})
    exp = replace(exp, forget=replace(exp.forget, seed=seed))
    plans = {}
    for m in methods:        # every method's search built and checked before anything is trained
        cfg = method_unlearn_config(m, exp.data.dataset, exp.forget.mode, paper=paper, **{**overrides, "seed": seed})
        cfg.validate()
        dims = tuned_dimensions(m, cfg, fixed=tuple(overrides))
        plans[m] = (cfg, SweepSpec(dims, seeds=(seed,), samples=budget, sample_seed=seed) if dims else None)
        if plans[m][1] is not None:
            plans[m][1].check()
    ray = require_ray()
    started = init_ray(options.address) if any(spec for _, spec in plans.values()) else False
    results = {}
    try:
        for m, (cfg, spec) in plans.items():
            results[m] = _tune_one(replace(exp, method=m, unlearn=cfg), spec, budget, options, on_event)
            if on_tuned is not None:
                on_tuned(results[m])
    finally:
        if started:
            ray.shutdown()
    return results


def _tune_one(exp: Experiment, spec: SweepSpec | None, budget: int, options: SweepOptions, on_event) -> TuneResult:
    method = exp.method
    if spec is None:
        why = ("the retrain reference is not tuned" if method in NOT_TUNED
               else "nothing to tune (no learning rate or knob it reads is free)")
        return TuneResult(method, {}, None, 0, f"{method}: defaults kept: {why}")
    table = run_sweep(exp, spec, options, on_event=on_event)
    done = finished_trials(table).dropna(subset=["eval_gap"])
    names = [d.name for d in spec.dimensions]
    if not len(done):
        return TuneResult(method, {}, None, budget, f"{method}: defaults kept: none of {budget} trials finished")
    best = done.sort_values(["eval_gap", "seconds"], kind="stable").iloc[0]
    chosen = {n: _plain(best[n]) for n in names}
    searched = ", ".join(f"{d.name} {d.low:.3g}..{d.high:.3g}" for d in spec.dimensions)
    return TuneResult(method, chosen, float(best["eval_gap"]), budget,
                      f"{method}: {budget} trials of {searched}; chose "
                      + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in chosen.items())
                      + f" (eval-subset gap {100 * float(best['eval_gap']):.2f}%)")


def _plain(value):
    # pandas gives numpy scalars; configs and JSON want Python numbers.
    return value.item() if hasattr(value, "item") else value
