"""Class-wise accuracy and the forget samples' prediction matrix, on hand-made outputs where the answer is known."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from unlearn_core.class_outcome import class_accuracy, forget_confusion, predicted_classes, where_forgotten
from unlearn_core.metrics import Outputs


def outputs(labels: list[int], predicted: list[int], num_classes: int) -> Outputs:
    """Outputs whose most probable class is `predicted` (a logit of 5 there, 0 elsewhere)."""
    logits = torch.zeros(len(labels), num_classes)
    logits[torch.arange(len(labels)), torch.tensor(predicted)] = 5.0
    return Outputs(logits, torch.zeros(len(labels), 2), torch.tensor(labels))


def test_class_accuracy_is_each_true_class_share_predicted_right_and_none_without_samples():
    out = outputs(labels=[0, 0, 1, 1, 1, 2, 2, 2, 2], predicted=[0, 1, 1, 1, 0, 2, 0, 0, 0], num_classes=4)
    assert class_accuracy(out, 4) == pytest.approx([0.5, 2 / 3, 0.25, None])     # class 3 has no test sample


def test_a_forget_class_pushed_into_other_classes_fills_one_row_of_the_matrix():
    # Class mode: every forget sample is a 2; the model now calls them 0, 1, 1, 3 and one still 2.
    out = outputs(labels=[2, 2, 2, 2, 2], predicted=[0, 1, 1, 3, 2], num_classes=4)
    matrix = forget_confusion(out, 4)
    assert matrix.shape == (4, 4) and matrix.dtype.kind == "i"
    assert matrix[2].tolist() == [1, 2, 1, 1]
    assert matrix.sum() == 5 and not np.delete(matrix, 2, axis=0).any()       # rows are true classes
    # Sample mode: forget samples of several classes, each row its own class's predictions.
    out = outputs(labels=[0, 0, 1, 3], predicted=[0, 3, 1, 1], num_classes=4)
    assert forget_confusion(out, 4).tolist() == [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]]


def test_a_diverged_models_nan_logits_count_as_no_evidence_not_as_the_top_class():
    out = Outputs(torch.tensor([[float("nan"), 1.0, 0.0], [0.0, 0.0, 3.0]]), torch.zeros(2, 2), torch.tensor([1, 0]))
    assert predicted_classes(out).tolist() == [1, 2]
    assert class_accuracy(out, 3) == [0.0, 1.0, None]


def test_the_report_entry_holds_plain_lists_for_every_model_given():
    test = {"original": outputs([0, 1, 1], [0, 1, 1], 2), "unlearned": outputs([0, 1, 1], [0, 0, 1], 2)}
    forget = {"unlearned": outputs([1, 1], [0, 0], 2), "retrain": outputs([1, 1], [0, 1], 2)}
    entry = where_forgotten(test, forget, 2)
    assert entry == {"class_accuracy": {"original": [1.0, 1.0], "unlearned": [1.0, 0.5]},
                     "forget_confusion": {"unlearned": [[0, 0], [2, 0]], "retrain": [[0, 0], [1, 1]]}}
    json.dumps(entry, allow_nan=False)                                          # numpy-free: the JSON report takes it
