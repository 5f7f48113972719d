"""What a run costs: FLOPs counted from the samples the model processes (against an exact count of the
samples the contrastive loop and its evaluations use), the retrain's FLOPs, and how a ratio is worded."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from unlearn_core import UnlearnConfig, unlearn
from unlearn_core.cost import speedup_text
from unlearn_core.experiment import reference, run_method
from unlearn_core.flops import per_sample_flops

GENTLE = UnlearnConfig(lr=1e-4, batch_size=64, omega=2, max_rounds=1, eval_every=1000)


def test_unlearning_flops_are_the_samples_processed_times_the_per_sample_cost(class_prep):
    """Updates cost forward + backward for the forget and remaining batches; the two termination
    evaluations (step 0 and the closing one) cost a forward pass over the eval sets; nothing else counts
    (the warm-up, the probe frames and the report's metrics are not part of the method's cost)."""
    prep, cfg = class_prep, replace(GENTLE, probe_every=2)
    forward, backward = per_sample_flops(prep.original.model, prep.data, torch.device("cpu"))
    steps = list(unlearn(prep.fresh_model(), prep.data, prep.split, cfg, device="cpu"))
    n_forget, remain_batch = len(prep.split.forget_train), min(cfg.batch_size, len(prep.split.remain_train))
    forget_batches = [min(cfg.batch_size, n_forget - start) for start in range(0, n_forget, cfg.batch_size)]
    trained = sum((size + remain_batch) * cfg.omega for size in forget_batches)
    evaluated = sum(len(es.indices) for es in prep.split.eval_sets.values())
    assert steps[-1].flops == pytest.approx(trained * (forward + backward) + 2 * evaluated * forward)
    assert all(a.flops <= b.flops for a, b in zip(steps, steps[1:]))


def test_the_report_gives_both_costs_and_the_counting_hook_is_gone(class_prep):
    run = run_method(class_prep, reference(class_prep), cfg=replace(GENTLE, max_steps=3))
    cost = run.report["cost"]
    assert set(cost) == {"unlearn_flops", "retrain_flops", "flops_speedup", "unlearn_seconds", "retrain_seconds",
                         "wall_speedup", "retrain_seconds_source"}
    forward, backward = per_sample_flops(class_prep.original.model, class_prep.data, torch.device("cpu"))
    recipe = class_prep.exp.train_config()
    assert cost["retrain_flops"] == pytest.approx(recipe.epochs * len(class_prep.split.remain_train)
                                                  * (forward + backward))
    assert cost["flops_speedup"] == pytest.approx(cost["retrain_flops"] / cost["unlearn_flops"])
    assert cost["wall_speedup"] == pytest.approx(cost["retrain_seconds"] / cost["unlearn_seconds"])


def test_an_abandoned_run_leaves_no_counting_hook_on_the_model(class_prep):
    model = class_prep.fresh_model()
    gen = unlearn(model, class_prep.data, class_prep.split, GENTLE, device="cpu")
    next(gen)
    assert model._forward_hooks
    gen.close()
    assert not model._forward_hooks


@pytest.mark.parametrize("ratio, text", [(12.34, "12.3x faster"), (0.25, "4.0x slower"), (1.0, "about as fast"),
                                         (None, "n/a"), (np.float64(2.0), "2.0x faster")])
def test_a_slower_run_reads_slower_never_a_fraction_faster(ratio, text):
    assert speedup_text(ratio) == text


@pytest.mark.parametrize("text, expected", [("3", 3), ("", None)])
def test_the_thread_count_is_set_on_purpose(monkeypatch, text, expected):
    import os

    from unlearn_core.devices import THREADS_ENV, configure_threads

    before = torch.get_num_threads()
    monkeypatch.setenv(THREADS_ENV, text)
    try:
        count = configure_threads()
        assert count == (expected or len(os.sched_getaffinity(0))) == torch.get_num_threads()
        assert configure_threads(1) == 1 == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_a_bad_thread_count_is_a_user_error(monkeypatch):
    from unlearn_core import UserInputError
    from unlearn_core.devices import THREADS_ENV, configure_threads

    monkeypatch.setenv(THREADS_ENV, "lots")
    with pytest.raises(UserInputError, match="UNLEARN_THREADS"):
        configure_threads()
