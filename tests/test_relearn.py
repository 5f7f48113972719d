"""The relearning test (unlearn_core/relearn.py) on the tiny digits config: hand-made cases that can fail."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from unlearn_core.errors import UserInputError
from unlearn_core.relearn import RelearnConfig, default_k, relearn, relearn_sets, sample_threshold

SHORT = RelearnConfig(max_steps=30)


@pytest.fixture(scope="module")
def class_models(class_prep):
    """(a model that saw class 5 but whose head no longer names it, the retrain model that never saw it)."""
    seen = copy.deepcopy(class_prep.original.model)
    with torch.no_grad():                 # disconnect the head from class 5: features untouched
        seen.head.weight[5].zero_()
        seen.head.bias[5].zero_()
    return seen, class_prep.retrain().model


def test_a_model_that_never_saw_the_class_relearns_it_slower(class_prep, class_models):
    seen, never = class_models
    fast = relearn(seen, class_prep.data, class_prep.split, class_prep.device, cfg=SHORT)
    slow = relearn(never, class_prep.data, class_prep.split, class_prep.device, cfg=SHORT)
    # Both start with the fives unrecognised: the difference is in the features, not the head.
    assert fast["curve"][0] <= 0.1 and slow["curve"][0] <= 0.1
    assert fast["steps_to_threshold"] is not None
    assert slow["steps_to_threshold"] is None or fast["steps_to_threshold"] < slow["steps_to_threshold"]
    assert fast["threshold"] == 0.5 and fast["k"] == 5        # max(5, 1% of 145)
    assert len(fast["curve"]) == SHORT.max_steps + 1


def test_steps_to_threshold_is_the_first_step_at_or_above_it(class_prep, class_models):
    seen, _ = class_models
    result = relearn(seen, class_prep.data, class_prep.split, class_prep.device, cfg=SHORT)
    curve, reached = result["curve"], result["steps_to_threshold"]
    assert curve[reached] >= 0.5 and all(a < 0.5 for a in curve[:reached])
    never_there = relearn(seen, class_prep.data, class_prep.split, class_prep.device, threshold=1.01, cfg=SHORT)
    assert never_there["steps_to_threshold"] is None          # not within the cap


def test_seeded_deterministic_and_the_model_is_left_alone(class_prep, class_models):
    seen, _ = class_models
    before = [t.clone() for t in seen.state_dict().values()]
    torch.manual_seed(123)
    outside = torch.rand(3)
    torch.manual_seed(123)
    a = relearn(seen, class_prep.data, class_prep.split, class_prep.device, cfg=RelearnConfig(max_steps=5))
    assert torch.equal(torch.rand(3), outside)                 # the caller's random stream did not move
    b = relearn(seen, class_prep.data, class_prep.split, class_prep.device, cfg=RelearnConfig(max_steps=5))
    assert a == b
    assert all(torch.equal(x, y) for x, y in zip(before, seen.state_dict().values()))


def test_sample_mode_measures_on_the_forget_samples_not_shown(sample_prep):
    split = sample_prep.split
    shown, source, measured = relearn_sets(split)
    assert source == "train" and len(shown) == default_k(split) == 5
    assert not set(shown) & set(measured) and set(shown) | set(measured) == set(split.forget_train)
    # The default threshold there is the original's own accuracy on that set: it starts at its threshold.
    threshold = sample_threshold(sample_prep.original.model, sample_prep.data, split, sample_prep.device)
    result = relearn(sample_prep.original.model, sample_prep.data, split, sample_prep.device, threshold,
                     cfg=RelearnConfig(max_steps=2))
    assert result["steps_to_threshold"] == 0 and result["measured_size"] == len(split.forget_train) - 5


def test_k_out_of_range_is_a_user_error(class_prep, sample_prep):
    with pytest.raises(UserInputError):
        relearn_sets(class_prep.split, RelearnConfig(k=len(class_prep.split.forget_train) + 1))
    with pytest.raises(UserInputError):      # sample mode must leave a sample to measure on
        relearn_sets(sample_prep.split, RelearnConfig(k=len(sample_prep.split.forget_train)))
    assert len(relearn_sets(class_prep.split, RelearnConfig(k=20))[0]) == 20
    assert np.all(np.diff(relearn_sets(class_prep.split)[0]) > 0)
