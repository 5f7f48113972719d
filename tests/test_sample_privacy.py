"""Per-sample privacy (unlearn_core/sample_privacy.py): the formula by hand, then seen against never-seen
models on a tiny config with mislabelled forget samples (canaries: only a model trained on them predicts
their training label)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from unlearn_core import DataConfig, Experiment, ForgetConfig, TrainConfig, prepare
from unlearn_core.errors import UserInputError
from unlearn_core.experiment import Prepared
from unlearn_core.metrics import Outputs
from unlearn_core.sample_privacy import (check_models, logit_confidence, privacy_reference, sample_privacy,
                                         scores_against, scores_on_probe)
from unlearn_core.training import get_original, get_retrain


def test_phi_is_the_log_odds_of_the_true_class():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    labels = torch.tensor([0, 1])
    p = logits.softmax(dim=1)[torch.arange(2), labels].double()
    out = Outputs(logits, torch.zeros(2, 4), labels)
    assert np.allclose(logit_confidence(out), torch.log(p / (1 - p)).numpy())


def test_the_score_is_near_0_at_the_seen_value_near_1_at_the_never_seen_mean_and_half_between():
    rng = np.random.default_rng(0)
    never = rng.standard_normal((8, 3)) + np.array([0.0, 0.0, 0.0])
    never = (never - never.mean(axis=0)) / never.std(axis=0, ddof=1)   # mean 0, spread 1 per sample
    seen = np.full(3, 6.0)
    result = scores_against(np.array([6.0, 0.0, 3.0]), never, seen)
    assert result["scores"][0] < 0.01 and result["scores"][1] > 0.99 and abs(result["scores"][2] - 0.5) < 1e-9
    assert result["share"] == pytest.approx(1 / 3) and result["separable"] == 1.0


def test_scores_follow_the_map_points():
    privacy = {"indices": [3, 7, 9], "scores": [0.1, 0.5, 0.9]}
    points = scores_on_probe(privacy, np.array([9, 3, 4, 100]), np.array([True, True, True, False]))
    assert points[:2].tolist() == [0.9, 0.1] and np.isnan(points[2]) and len(points) == 3


def test_too_few_models_is_a_user_error():
    with pytest.raises(UserInputError):
        check_models(2)


def test_the_score_separates_a_model_trained_on_the_samples_from_models_that_were_not(isolated_cache):
    recipe = TrainConfig(epochs=3)
    base = prepare(Experiment(data=DataConfig(), forget=ForgetConfig(mode="sample", count=30, seed=0),
                              train=recipe, device="cpu", use_cache=False))
    labels = base.data.train_y.clone()
    forget = base.split.forget_train
    labels[forget] = (labels[forget] + 1) % 10                  # canaries: a training label no image supports
    data = replace(base.data, train_y=labels)
    original = get_original(base.exp.data, base.exp.model, recipe, data=data, device=base.device, use_cache=False)
    prep = Prepared(base.exp, data, base.split, original, base.device)
    ref = privacy_reference(prep, 3)                            # never seen: retrain seeds 0, 1, 2
    seen = get_original(base.exp.data, base.exp.model, replace(recipe, seed=11), data=data, device=base.device,
                        use_cache=False).model                  # trained on the canaries, another seed
    never = get_retrain(base.exp.data, base.exp.model, replace(recipe, seed=12), base.split, data=data,
                        device=base.device, use_cache=False).model   # held out from the reference
    seen_result, never_result = sample_privacy(seen, prep, ref), sample_privacy(never, prep, ref)
    assert seen_result["mean_score"] < 0.2 and seen_result["share"] < 0.2
    assert never_result["mean_score"] > 0.8 and never_result["share"] > 0.8
    per_sample = np.array(never_result["scores"]) > np.array(seen_result["scores"])
    assert per_sample.mean() > 0.9                               # sample by sample, not just on average
    assert seen_result["indices"] == [int(i) for i in forget] and len(seen_result["scores"]) == len(forget)
    assert ref.n_models == 3 and ref.flops > 0 and seen_result["retrain_share"] > 0.8


def test_the_reference_cost_is_known_before_it_is_built(class_prep):
    from unlearn_core.sample_privacy import reference_cost

    class_prep.retrain()                                        # seed 0 of the reference: already cached
    cost = reference_cost(class_prep, 4)
    assert cost["models"] == 4 and cost["cached"] >= 1 and cost["flops"] > 0
    assert cost["seconds_estimate"] == pytest.approx(cost["seconds_per_model"] * (4 - cost["cached"]))
