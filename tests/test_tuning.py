"""`compare --tune N` (unlearn_core/tuning.py): the same budget of trials per method, chosen on the eval subsets.

Fast: what each method searches and what it keeps, bad budgets. With Ray (`-m ray`): `compare --tune 2` on
two methods and two seeds, the fixtures' short recipe (its cached models: no training), 4 steps a run.
"""
from __future__ import annotations

import json

import pytest

from unlearn_core import cli
from unlearn_core.baselines import method_unlearn_config
from unlearn_core.errors import UserInputError
from unlearn_core.sweep import SweepSpec, trial_configs
from unlearn_core.tuning import tune_methods, tuned_dimensions

from conftest import TINY_TRAIN


def dims(method: str, fixed=()):
    return {d.name: d for d in tuned_dimensions(method, method_unlearn_config(method, "digits", "class"), fixed)}


def test_each_method_searches_its_lr_and_its_own_knob_around_its_defaults():
    c = dims("contrastive")
    assert set(c) == {"lr", "lambda_ul"} and c["lr"].scale == "log"
    assert (c["lr"].low, c["lr"].high) == pytest.approx((1e-3, 1e-1))          # digits default 1e-2, x/10..x10
    assert (c["lambda_ul"].low, c["lambda_ul"].high) == pytest.approx((1.0, 9.0))
    n = dims("neggrad")
    assert set(n) == {"lr", "max_rounds"} and (n["max_rounds"].low, n["max_rounds"].high) == (2, 10)
    assert dims("fisher") == {} and dims("retrain") == {}      # nothing it reads / the reference itself
    assert set(dims("neggrad", fixed=("lr",))) == {"max_rounds"}      # a user's --lr is never searched


def test_a_bad_budget_is_refused_before_anything_runs(class_prep, capsys):
    with pytest.raises(UserInputError, match="budget"):
        tune_methods(class_prep.exp, ("neggrad",), 0, seed=0)
    for bad in ("0", "none"):
        with pytest.raises(SystemExit) as stop:
            cli.main(["compare", "--tune", bad])
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert stop.value.code == 2 and "--tune" in line


@pytest.mark.ray
def test_compare_tune_2_gives_each_method_two_trials_then_runs_the_choice_over_the_seeds(
        class_prep, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNLEARN_THREADS", "1")      # the cache keys the thread count: load class_prep's models
    out = tmp_path / "cmp.json"
    code = cli.main(["compare", "--methods", "contrastive,neggrad", "--seeds", "0,1", "--tune", "2",
                     "--train-epochs", str(TINY_TRAIN.epochs), "--device", "cpu", "--max-steps", "4",
                     "--eval-every", "2", "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "tuning: 2 trials per method on seed 0" in stdout and "tuned (2 trials per method)" in stdout
    written = json.loads(out.read_text())
    tuning = {t["method"]: t for t in written["tuning"]}
    assert set(tuning) == {"contrastive", "neggrad"} and all(t["trials"] == 2 for t in tuning.values())
    for method, t in tuning.items():
        cfg = method_unlearn_config(method, "digits", "class", max_steps=4, eval_every=2, seed=0)
        search = tuned_dimensions(method, cfg, fixed=("max_steps", "eval_every"))
        assert set(t["chosen"]) == {d.name for d in search} and t["eval_gap"] is not None
        # The choice is one of the two draws Tune ran (the dry run's list), not a value made up later.
        draws = trial_configs(SweepSpec(search, seeds=(0,), samples=2, sample_seed=0), cfg)
        assert any(all(d[k] == pytest.approx(v) for k, v in t["chosen"].items()) for d in draws)
        runs = [r for r in written["runs"] if r["method"] == method]
        assert [r["seed"] for r in runs] == [0, 1]
        assert all(r["hyperparameters"][k] == pytest.approx(v) for r in runs for k, v in t["chosen"].items())
