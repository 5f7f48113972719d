"""The linear probe of the embeddings (unlearn_core/probe.py): hand-made embeddings, then the real models."""
from __future__ import annotations

import numpy as np

from unlearn_core.probe import fit_and_score, fit_set, probe

CLASSES, DIM, FORGET = 10, 32, 5


def clustered(rng: np.random.Generator, per_class: int, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """L2-normalised embeddings around one centre per class (as a trained encoder gives)."""
    labels = np.repeat(np.arange(CLASSES), per_class)
    x = centres[labels] + 0.15 * rng.standard_normal((len(labels), DIM))
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def test_a_probe_on_separating_embeddings_scores_near_1_and_on_shuffled_ones_near_chance():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((CLASSES, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    fit_x, fit_y = clustered(rng, 50, centres)
    test_x, test_y = clustered(rng, 60, centres)
    forget = test_y == FORGET
    assert fit_and_score(fit_x, fit_y, test_x[forget], test_y[forget]) >= 0.95
    # Shuffled: the embeddings no longer go with their labels (fit and scored alike): nothing to decode.
    shuffled_fit = fit_x[rng.permutation(len(fit_x))]
    shuffled_test = test_x[rng.permutation(len(test_x))]
    chance = fit_and_score(shuffled_fit, fit_y, shuffled_test, test_y)
    assert abs(chance - 1 / CLASSES) < 0.08
    assert fit_and_score(shuffled_fit, fit_y, shuffled_test[forget], test_y[forget]) < 0.35


def test_the_fit_set_includes_the_forget_class_in_class_mode_and_no_forget_sample_in_sample_mode(class_prep,
                                                                                                  sample_prep):
    idx = fit_set(class_prep.data, class_prep.split)
    labels = class_prep.data.train_y.numpy()[idx]
    assert set(labels) == set(range(CLASSES)) and (labels == FORGET).sum() == 100
    assert np.array_equal(idx, fit_set(class_prep.data, class_prep.split))        # fixed: seeded
    idx = fit_set(sample_prep.data, sample_prep.split)
    assert not set(idx) & set(sample_prep.split.forget_train)


def test_the_original_still_encodes_the_forget_class(class_prep, sample_prep):
    result = probe(class_prep.original.model, class_prep.data, class_prep.split, class_prep.device)
    assert result["forget_acc"] >= 0.9 and result["remain_acc"] >= 0.9 and result["chance"] == 0.1
    result = probe(sample_prep.original.model, sample_prep.data, sample_prep.split, sample_prep.device)
    assert {"forget_acc", "test_acc", "gap"} <= set(result)
    assert abs(result["gap"] - (result["forget_acc"] - result["test_acc"])) < 1e-12
