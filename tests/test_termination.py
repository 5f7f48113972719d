"""When the unlearning loop stops, and why: the paper's termination rules (through
termination.termination_test), the round and step budgets, and the NaN/inf guard.

Methods that misbehave on purpose are registered in runner.METHODS for one test (monkeypatch), the
same way the baselines plug in, so the runner is exercised exactly as the app and the CLI use it.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from unlearn_core import (DataConfig, ForgetConfig, ImageData, UnlearnConfig, default_unlearn_config, load_dataset,
                          make_split, unlearn)
from unlearn_core.runner import METHODS
from unlearn_core.steps import Outcome, Update
from unlearn_core.termination import termination_test

# Updates so small that nothing is forgotten: only a budget can stop the run.
NO_PROGRESS = UnlearnConfig(lr=1e-7, batch_size=128, omega=1, eval_every=1000)


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


@pytest.mark.parametrize("forget_test_acc, fired", [(0.0, True), (0.05, True), (0.1, True),
                                                    (0.1 + 1 / 256, False), (0.9, False)])
def test_class_rule_fires_at_or_below_chance(digits, forget_test_acc, fired):
    split = make_split(digits, ForgetConfig(mode="class", forget_class=5))
    term = termination_test(split.mode, split.num_classes, {"forget_test_acc": forget_test_acc, "forget_train_acc": 0.99,
                                    "remain_test_acc": 0.98})
    assert term.threshold == pytest.approx(1 / 10)
    assert term.value == forget_test_acc
    assert term.fired is fired


def test_class_threshold_is_one_over_the_number_of_classes():
    """1/C follows the dataset: four classes give 0.25, not a hard-coded 0.1."""
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.integers(0, 256, (80, 1, 8, 8)), dtype=torch.uint8)
    y = torch.arange(80) % 4
    data = ImageData("four", x[:60], y[:60], x[60:], y[60:], ("a", "b", "c", "d"), (0.5,), (0.25,))
    split = make_split(data, ForgetConfig(mode="class", forget_class=2))
    assert termination_test(split.mode, split.num_classes, {"forget_test_acc": 0.25}).fired
    assert not termination_test(split.mode, split.num_classes, {"forget_test_acc": 0.3}).fired
    assert termination_test(split.mode, split.num_classes, {"forget_test_acc": 0.3}).threshold == pytest.approx(0.25)


@pytest.mark.parametrize("forget_acc, test_acc, fired", [(0.95, 0.95, True), (0.90, 0.95, True),
                                                         (0.96, 0.95, False), (1.0, 0.2, False)])
def test_sample_rule_compares_forget_eval_with_test_eval(digits, forget_acc, test_acc, fired):
    split = make_split(digits, ForgetConfig(mode="sample", count=100, seed=0))
    term = termination_test(split.mode, split.num_classes, {"forget_train_acc": forget_acc, "test_acc": test_acc})
    assert (term.value, term.threshold, term.fired) == (forget_acc, test_acc, fired)


def run_to_stop(prep, cfg, method="contrastive", model=None):
    steps = list(unlearn(model or prep.fresh_model(), prep.data, prep.split, cfg, method=method, device="cpu",
                         final_metrics=False))
    assert [s.stop for s in steps].count(True) == 1 and steps[-1].stop
    assert [s.step for s in steps] == sorted(set(s.step for s in steps))    # one closing Step, no repeats
    return steps


def test_runner_stops_when_the_class_rule_fires(class_prep):
    cfg = class_prep.exp.unlearn_config()       # the digits defaults terminate (configs.py)
    steps = run_to_stop(class_prep, replace(cfg, eval_every=2))
    last = steps[-1]
    assert last.outcome is Outcome.TERMINATED and last.terminated
    assert last.termination.fired and last.termination.value <= 0.1
    assert last.step < cfg.max_rounds * 3 * cfg.omega          # before the round cap (3 forget batches of 64)
    # no earlier evaluation had fired, or the run would have stopped there
    assert not any(s.termination.fired for s in steps[:-1] if s.termination is not None)


def test_runner_stops_at_max_rounds(class_prep):
    # 146 forget samples in batches of 128: 2 forget batches x omega 1 = 2 steps a round
    steps = run_to_stop(class_prep, replace(NO_PROGRESS, max_rounds=2))
    last = steps[-1]
    assert last.outcome is Outcome.ROUND_CAP
    assert last.stop_reason == "max rounds (2) reached without termination"
    assert (last.step, last.round) == (4, 2)
    assert not last.termination.fired


def test_runner_stops_at_max_steps(class_prep):
    last = run_to_stop(class_prep, replace(NO_PROGRESS, max_rounds=50, max_steps=3))[-1]
    assert last.outcome is Outcome.STEP_BUDGET and last.stop_reason == "step budget (3) reached"
    assert last.step == 3


def forget_class_in_one_update(model, data, split, cfg, device, rng):
    """A method whose single update makes the model never predict the forget class."""
    with torch.no_grad():
        model.head.bias[split.forget_class] -= 1e4
    yield Update(1, {"total": 0.0})


def test_a_rule_that_fires_at_the_closing_evaluation_counts_as_terminated(class_prep, monkeypatch):
    """The last update is rarely on the eval cadence; the evaluation the round budget forces after it
    must still apply the paper's rule, not report "without termination"."""
    monkeypatch.setitem(METHODS, "forget_in_one", forget_class_in_one_update)
    last = run_to_stop(class_prep, NO_PROGRESS, method="forget_in_one")[-1]
    assert last.step == 1 and last.termination.fired
    assert last.outcome is Outcome.TERMINATED


def test_a_model_that_already_forgot_stops_before_any_update(class_prep):
    model = class_prep.fresh_model()
    with torch.no_grad():
        model.head.bias[5] -= 1e4
    steps = run_to_stop(class_prep, NO_PROGRESS, model=model)
    assert len(steps) == 1 and steps[0].step == 0
    assert steps[0].outcome is Outcome.TERMINATED
    assert steps[0].stop_reason.startswith("terminated before any update")


def breaks_on_third_update(how):
    """Two small finite updates, then one that leaves a NaN loss or infinite buffers behind."""
    def method(model, data, split, cfg, device, rng):
        for _ in range(2):
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(0.01)
            yield Update(1, {"L_UL": 0.5, "total": 0.5})
        with torch.no_grad():
            if how == "nan_loss":
                for p in model.parameters():
                    p.fill_(float("nan"))
            else:   # what an overflowing step can do while the loss (batch statistics) stays finite
                for name, buf in model.named_buffers():
                    if name.endswith("running_var"):
                        buf.fill_(float("inf"))
        loss = float("nan") if how == "nan_loss" else 0.5
        yield Update(1, {"L_UL": loss, "total": loss})
        raise AssertionError("the runner must stop pulling updates after a non-finite one")

    return method


@pytest.mark.parametrize("how", ["nan_loss", "inf_buffers_finite_loss"])
def test_nan_guard_restores_the_last_good_weights(class_prep, monkeypatch, how):
    monkeypatch.setitem(METHODS, "breaks", breaks_on_third_update(how))
    model = class_prep.fresh_model()
    steps = run_to_stop(class_prep, NO_PROGRESS, method="breaks", model=model)
    last = steps[-1]
    assert last.outcome is Outcome.DIVERGED
    assert last.stop_reason.startswith("diverged at step 3") and "restored to step 2" in last.stop_reason
    assert last.step == 2
    # the weights after the two good updates (each added 0.01 to every parameter), buffers untouched
    original = class_prep.original.model
    for (name, value), before in zip(model.state_dict().items(), original.state_dict().values()):
        assert torch.isfinite(value.float()).all(), name
        expected = before + 0.02 if name in dict(model.named_parameters()) else before
        assert torch.allclose(value.float(), expected.float(), atol=1e-5), name


def test_an_exploding_learning_rate_stops_with_finite_weights(class_prep):
    """The real method at its largest learning rate, temperature and loss weight: it blows up within a few
    steps, and the run stops as diverged with finite weights."""
    model = class_prep.fresh_model()
    last = run_to_stop(class_prep, replace(NO_PROGRESS, lr=10.0, tau=0.01, lambda_ul=1000.0, max_rounds=3), model=model)[-1]
    assert last.outcome is Outcome.DIVERGED and last.stop_reason.startswith("diverged at step")
    assert all(torch.isfinite(v.float()).all() for v in model.state_dict().values())


def test_paper_defaults_test_termination_once_per_round_at_its_end(class_prep):
    """The paper's schedule (eval_every 0): step 0, then only the last step of each round is evaluated, as
    it was at that step, and the run stops there when the test fires."""
    cfg = replace(default_unlearn_config("digits", "class", paper=True), max_rounds=3)
    assert cfg.eval_every == 0
    per_round = -(-len(class_prep.split.forget_train) // cfg.batch_size) * cfg.omega      # 2 batches x 4 = 8
    steps = run_to_stop(class_prep, cfg)
    evaluated = [s.step for s in steps if s.eval is not None]
    assert evaluated[:-1] == [per_round * r for r in range(len(evaluated) - 1)]
    last = steps[-1]
    assert last.step % per_round == 0          # whatever the outcome, the run ends at a round's end
    if last.terminated:
        assert last.termination.fired


def test_a_round_end_evaluation_measures_the_weights_of_that_step(class_prep, monkeypatch):
    """The round's last step is evaluated after the next update has run, from the weights saved before it:
    a method whose second round wrecks the model must not be judged at step 1 by the wrecked weights."""
    def two_rounds(model, data, split, cfg, device, rng):
        yield Update(1, {"total": 0.0})                     # round 1: one harmless step
        with torch.no_grad():
            model.head.bias[split.forget_class] -= 1e4       # round 2 forgets class 5 outright
        yield Update(2, {"total": 0.0})

    monkeypatch.setitem(METHODS, "two_rounds", two_rounds)
    steps = run_to_stop(class_prep, replace(NO_PROGRESS, eval_every=0, max_rounds=2), method="two_rounds")
    assert [s.step for s in steps] == [0, 1, 2]
    assert not steps[1].termination.fired                    # step 1: the original's accuracy on class 5
    assert steps[2].terminated and steps[2].termination.fired


def test_the_utility_guard_speaks_even_when_the_test_fired(class_prep, monkeypatch):
    """A method that forgets class 5 by predicting class 0 for everything passes the paper's test and
    wrecks the remaining classes: the closing Step says so."""
    def everything_is_zero(model, data, split, cfg, device, rng):
        with torch.no_grad():
            model.head.bias[0] += 1e4
        yield Update(1, {"total": 0.0})

    monkeypatch.setitem(METHODS, "zero", everything_is_zero)
    last = run_to_stop(class_prep, replace(NO_PROGRESS, eval_every=1), method="zero")[-1]
    assert last.terminated and last.utility_guard["tripped"]
    assert last.utility_guard["key"] == "remain_test_acc" and last.utility_guard["drop"] > 0.5
    assert "utility guard: remain_test_acc fell" in last.stop_reason
    gentle = run_to_stop(class_prep, replace(NO_PROGRESS, max_steps=2))[-1]
    assert not gentle.utility_guard["tripped"] and "utility guard" not in gentle.stop_reason
