"""Metrics on cases checked by hand: accuracy, the two membership-inference conventions (constructed
model outputs where the right answer is obvious), the gap to retrain and Avg. Gap, and evaluate_model
against an independent forward pass scored by scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score

from unlearn_core import evaluate_model, gaps_to_retrain
from unlearn_core.metrics import (METRIC_KEYS, METRIC_LABELS, Outputs, accuracy, mia_efficacy, mia_member_flags,
                                  mia_member_rate, true_class_confidence)

NUM_CLASSES = 10


def outputs(logits, labels) -> Outputs:
    logits = torch.as_tensor(logits, dtype=torch.float32)
    return Outputs(logits, torch.nn.functional.normalize(torch.ones(len(logits), 4), dim=1),
                   torch.as_tensor(labels, dtype=torch.int64))


def test_accuracy_by_hand():
    out = outputs([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.0, 1.0]], [0, 1, 1, 1])
    assert accuracy(out) == 0.75                     # the third sample is predicted 0, labelled 1
    assert accuracy(outputs(np.zeros((0, 2)), [])) is None


def test_true_class_confidence_by_hand():
    out = outputs([[0.0, 0.0], [np.log(3.0), 0.0]], [1, 0])
    np.testing.assert_allclose(true_class_confidence(out), [0.5, 0.75], rtol=1e-6)


def confident(n, rng):
    """Outputs of a model that has seen these samples: the true class at ~99.9%."""
    labels = rng.integers(0, NUM_CLASSES, n)
    logits = rng.normal(0, 0.5, (n, NUM_CLASSES))
    logits[np.arange(n), labels] += 10.0
    return outputs(logits, labels)


def unsure(n, rng):
    """Outputs of a model that has not: nearly flat, the true class no more likely than another."""
    return outputs(rng.normal(0, 0.5, (n, NUM_CLASSES)), rng.integers(0, NUM_CLASSES, n))


@pytest.fixture(scope="module")
def attack_sets():
    rng = np.random.default_rng(0)
    return {"members": confident(400, rng), "non_members": unsure(300, rng),
            "forget_like_members": confident(100, rng), "forget_like_non_members": unsure(100, rng)}


def test_forget_samples_that_look_like_members(attack_sets):
    s = attack_sets
    args = (s["members"], s["non_members"], s["forget_like_members"])
    assert mia_member_rate(*args) >= 0.95            # paper's convention: "member", i.e. not forgotten
    assert mia_efficacy(*args) <= 0.05               # SalUn's convention: few called non-member


def test_forget_samples_that_look_like_non_members(attack_sets):
    s = attack_sets
    args = (s["members"], s["non_members"], s["forget_like_non_members"])
    assert mia_member_rate(*args) <= 0.05            # forgotten: looks like unseen data
    assert mia_efficacy(*args) >= 0.95


def test_attacks_are_seeded(attack_sets):
    s = attack_sets
    mixed = outputs(torch.cat([s["forget_like_members"].logits[:50], s["forget_like_non_members"].logits[:50]]),
                    torch.cat([s["forget_like_members"].labels[:50], s["forget_like_non_members"].labels[:50]]))
    args = (s["members"], s["non_members"], mixed)
    assert mia_member_rate(*args, seed=3) == mia_member_rate(*args, seed=3)
    assert 0.4 <= mia_member_rate(*args) <= 0.6      # half of them each way
    assert 0.4 <= mia_efficacy(*args) <= 0.6


def test_member_flags_name_the_remembered_samples_and_average_to_the_rate(attack_sets):
    s = attack_sets
    mixed = outputs(torch.cat([s["forget_like_members"].logits[:50], s["forget_like_non_members"].logits[:50]]),
                    torch.cat([s["forget_like_members"].labels[:50], s["forget_like_non_members"].labels[:50]]))
    args = (s["members"], s["non_members"], mixed)
    flags = mia_member_flags(*args, seed=3)
    assert flags.dtype == bool and flags.shape == (100,)
    assert flags[:50].mean() >= 0.95 and flags[50:].mean() <= 0.05     # the confident half is called member
    assert flags.mean() == mia_member_rate(*args, seed=3)              # one attack, two readings


def test_labels_say_which_direction_is_better():
    assert "lower = more forgotten" in METRIC_LABELS["mia_member_rate"]
    assert "higher = more forgotten" in METRIC_LABELS["mia_efficacy"]
    assert set(METRIC_LABELS) == set(METRIC_KEYS)


def test_gaps_to_retrain_by_hand_in_class_mode():
    unlearned = {"forget_train_acc": 0.10, "forget_test_acc": 0.05, "remain_train_acc": 0.95,
                 "remain_test_acc": 0.90, "test_acc": None, "mia_member_rate": 0.3, "mia_efficacy": 0.80}
    retrain = {"forget_train_acc": 0.0, "forget_test_acc": 0.0, "remain_train_acc": 1.0,
               "remain_test_acc": 0.96, "test_acc": None, "mia_member_rate": 0.1, "mia_efficacy": 1.0}
    gaps = gaps_to_retrain(unlearned, retrain, "class")
    expected = {"forget_train_acc": 0.10, "forget_test_acc": 0.05, "remain_train_acc": 0.05,
                "remain_test_acc": 0.06, "mia_efficacy": 0.20}
    assert set(gaps) == set(expected) | {"avg_gap"}      # the member rate is not averaged (SalUn's Avg. Gap)
    for key, value in expected.items():
        assert gaps[key] == pytest.approx(value)
    assert gaps["avg_gap"] == pytest.approx((0.10 + 0.05 + 0.05 + 0.06 + 0.20) / 5)
    assert gaps_to_retrain(retrain, retrain, "class")["avg_gap"] == 0.0


def test_gaps_to_retrain_by_hand_in_sample_mode():
    unlearned = {"forget_train_acc": 0.98, "remain_train_acc": 0.99, "test_acc": 0.97, "mia_efficacy": 0.10,
                 "remain_test_acc": None, "forget_test_acc": None}
    retrain = {"forget_train_acc": 0.96, "remain_train_acc": 1.0, "test_acc": 0.98, "mia_efficacy": 0.06,
               "remain_test_acc": None, "forget_test_acc": None}
    gaps = gaps_to_retrain(unlearned, retrain, "sample")
    assert set(gaps) == {"forget_train_acc", "remain_train_acc", "test_acc", "mia_efficacy", "avg_gap"}
    assert gaps["avg_gap"] == pytest.approx((0.02 + 0.01 + 0.01 + 0.04) / 4)


def test_gaps_skip_missing_values():
    gaps = gaps_to_retrain({"test_acc": 0.9, "mia_efficacy": None}, {"test_acc": 0.8, "mia_efficacy": 0.1}, "sample")
    assert gaps == {"test_acc": pytest.approx(0.1), "avg_gap": pytest.approx(0.1)}
    assert gaps_to_retrain({}, {}, "sample") == {"avg_gap": None}


def sklearn_accuracy(model, x, y, idx) -> float:
    """An independent pass: the model called directly, scored by scikit-learn."""
    model.eval()
    with torch.no_grad():
        logits, _ = model(x[torch.as_tensor(idx)].float() / 255.0)
    return accuracy_score(y[torch.as_tensor(idx)].numpy(), logits.argmax(dim=1).numpy())


def test_evaluate_model_in_class_mode(class_prep):
    prep = class_prep
    model, data, split = prep.original.model, prep.data, prep.split
    m = evaluate_model(model, data, split, prep.device)
    assert set(m) == set(METRIC_KEYS) and m["test_acc"] is None
    test, train = (data.test_x, data.test_y), (data.train_x, data.train_y)
    for key, (x, y), idx in (("remain_test_acc", test, split.remain_test), ("forget_test_acc", test, split.forget_test),
                             ("remain_train_acc", train, split.remain_train),
                             ("forget_train_acc", train, split.forget_train)):
        assert m[key] == pytest.approx(sklearn_accuracy(model, x, y, idx)), key
    assert all(0.0 <= m[k] <= 1.0 for k in METRIC_KEYS if m[k] is not None)


def test_evaluate_model_in_sample_mode(sample_prep):
    prep = sample_prep
    model, data, split = prep.original.model, prep.data, prep.split
    m = evaluate_model(model, data, split, prep.device)
    assert m["remain_test_acc"] is None and m["forget_test_acc"] is None
    everything = np.arange(len(data.test_y))
    assert m["test_acc"] == pytest.approx(sklearn_accuracy(model, data.test_x, data.test_y, everything))
    assert m["forget_train_acc"] == pytest.approx(
        sklearn_accuracy(model, data.train_x, data.train_y, split.forget_train))
    assert all(0.0 <= m[k] <= 1.0 for k in ("mia_member_rate", "mia_efficacy"))
