"""The worst-case privacy score (privacy.py) on hand-made outputs where the answer is known, its epsilon
on rates checked by hand, both attack directions, and a real run's report carrying it."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from unlearn_core.cli.run import format_metrics_table
from unlearn_core.experiment import build_report, reference, run_method
from unlearn_core.metrics import METRIC_KEYS, METRIC_LABELS, Outputs
from unlearn_core.privacy import (DELTA, epsilon_from_rates, feature_attack, prediction_entropy, privacy_details,
                                  privacy_score, threshold_rates)

NUM_CLASSES = 10


def outputs(logits, labels) -> Outputs:
    logits = torch.as_tensor(np.asarray(logits), dtype=torch.float32)
    return Outputs(logits, torch.zeros(len(logits), 4), torch.as_tensor(np.asarray(labels), dtype=torch.int64))


def random_outputs(n, rng, true_boost=0.0):
    labels = rng.integers(0, NUM_CLASSES, n)
    logits = rng.normal(0, 1, (n, NUM_CLASSES))
    logits[np.arange(n), labels] += true_boost
    return logits, labels


def test_identical_outputs_score_one():
    logits, labels = random_outputs(300, np.random.default_rng(0), true_boost=2.0)
    details = privacy_details(outputs(logits, labels), outputs(logits, labels))
    assert details["entropy"]["epsilon"] == 0.0 and details["confidence"]["epsilon"] == 0.0
    assert abs(details["privacy_score"] - 1.0) <= 1e-6


def test_fully_separable_outputs_score_zero():
    """Unlearned: still certain of the true class; retrain: flat. Every threshold between them separates
    the two sets completely (FPR = FNR = 0): eps = inf, attack score 1, privacy score 0."""
    rng = np.random.default_rng(1)
    logits, labels = random_outputs(200, rng)
    certain = logits.copy()
    certain[np.arange(200), labels] += 30.0
    details = privacy_details(outputs(certain, labels), outputs(logits * 0.01, labels))
    assert details["confidence"]["epsilon"] == math.inf and details["entropy"]["epsilon"] == math.inf
    assert details["privacy_score"] <= 1e-6


def test_partly_separable_lies_between():
    rng = np.random.default_rng(2)
    logits, labels = random_outputs(400, rng, true_boost=2.0)
    shifted = logits.copy()
    shifted[np.arange(400), labels] += 1.0            # somewhat more confident than retrain
    score = privacy_score(outputs(shifted, labels), outputs(logits, labels))
    assert 0.05 < score < 0.95


def test_epsilon_by_hand():
    # FPR 0.1, FNR 0.2: min(log(0.9 - d) - log 0.2, log(0.8 - d) - log 0.1) = log((0.9 - d) / 0.2)
    expected = math.log((0.9 - DELTA) / 0.2)
    assert epsilon_from_rates([0.1], [0.2])[0] == pytest.approx(expected, rel=1e-12)
    # No better than chance (FPR + FNR >= 1): both logs <= 0, eps 0.
    assert epsilon_from_rates([0.5, 0.3, 0.0], [0.5, 0.9, 1.0]).tolist() == [0.0, 0.0, 0.0]
    # A zero rate: clipped, so min() takes the other, finite term; both zero: a perfect attack.
    assert epsilon_from_rates([0.0], [0.5])[0] == pytest.approx(math.log((1 - DELTA) / 0.5), rel=1e-9)
    assert epsilon_from_rates([0.0], [0.0])[0] == math.inf


def test_one_feature_by_hand():
    """Unlearned: 8 ones and 2 zeros; retrain: 1 one and 9 zeros. Best threshold 1 ("unlearned if >= 1"):
    FPR 1/10, FNR 2/10."""
    attack = feature_attack(np.array([1.0] * 8 + [0.0] * 2), np.array([1.0] + [0.0] * 9))
    assert (attack["fpr"], attack["fnr"]) == pytest.approx((0.1, 0.2))
    assert attack["epsilon"] == pytest.approx(math.log((0.9 - DELTA) / 0.2))
    assert attack["attack_score"] == pytest.approx(1 - 2 ** -attack["epsilon"])


def test_both_attack_directions():
    """Unlearned values entirely BELOW retrain's: "unlearned if >= t" never beats chance, "unlearned if
    < t" separates them completely. The score must find the second direction, and be symmetric."""
    low, high = np.linspace(0.0, 1.0, 50), np.linspace(2.0, 3.0, 50)
    one_direction = epsilon_from_rates(*threshold_rates(low, high))
    assert one_direction.max() == 0.0
    assert feature_attack(low, high)["epsilon"] == math.inf
    assert feature_attack(high, low)["epsilon"] == math.inf
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 300), rng.normal(0.4, 1, 300)
    eps = feature_attack(a, b)["epsilon"]
    assert 0 < eps < math.inf
    assert feature_attack(b, a)["epsilon"] == pytest.approx(eps)        # which model is "positive": no matter
    assert feature_attack(-a, -b)["epsilon"] == pytest.approx(eps)      # mirrored feature: same attack


def test_entropy_by_hand():
    out = outputs([[0.0, 0.0], [100.0, 0.0], [0.0, 0.0, 0.0, 0.0][:2]], [0, 0, 1])
    np.testing.assert_allclose(prediction_entropy(out), [math.log(2), 0.0, math.log(2)], atol=1e-9)


def test_labelled_with_its_direction():
    assert "privacy_score" in METRIC_KEYS
    assert "higher = more private" in METRIC_LABELS["privacy_score"]
    assert "1 = indistinguishable from retrain" in METRIC_LABELS["privacy_score"]


def test_a_real_run_reports_it(class_prep):
    ref = reference(class_prep)
    run = run_method(class_prep, ref, "contrastive")
    metrics = run.report["metrics"]
    for name in ("original", "unlearned", "retrain"):
        assert 0.0 <= metrics[name]["privacy_score"] <= 1.0, name
    assert metrics["retrain"]["privacy_score"] == 1.0
    # The original still knows the forget class (near-certain on it), retrain never saw it: easy to tell.
    assert metrics["original"]["privacy_score"] < 0.5
    assert "privacy_score" in format_metrics_table(run.report)
    # The closing Step keeps the unlearned model's forget-set outputs: a caller that kept only the Steps
    # (the app, whose retrain reference may be ready only later) gets the same score.
    again = build_report(class_prep, run.steps, ref)["metrics"]["unlearned"]["privacy_score"]
    assert again == metrics["unlearned"]["privacy_score"]
