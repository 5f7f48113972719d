"""The two "leaving the cluster" numbers on hand-made embeddings, where the answer is known."""
from __future__ import annotations

import numpy as np
import pytest

from unlearn_core.leaving_cluster import leaving_cluster

DIM = 8


def cluster(centre: int, n: int, rng: np.random.Generator, spread: float = 0.05) -> np.ndarray:
    """n unit vectors near the axis `centre`."""
    z = np.eye(DIM)[centre] + spread * rng.standard_normal((n, DIM))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def scene(forget_at: list[int], forget_label: int, mode: str, rng: np.random.Generator):
    """Three classes of 30 remaining samples around axes 0, 1, 2, plus forget samples (label
    forget_label) placed around the axes listed in forget_at, ten per entry."""
    remain_labels = [0, 1, 2] if mode == "sample" else [c for c in (0, 1, 2, 3) if c != forget_label]
    z = [cluster(c, 30, rng) for c in remain_labels]
    labels = [np.full(30, c) for c in remain_labels]
    z += [cluster(a, 10, rng) for a in forget_at]
    labels += [np.full(10, forget_label) for _ in forget_at]
    is_forget = np.concatenate([np.zeros(30 * len(remain_labels), bool), np.ones(10 * len(forget_at), bool)])
    return np.concatenate(z), np.concatenate(labels), is_forget


def test_sample_mode_forget_samples_inside_their_cluster():
    z, labels, is_forget = scene([0, 0], forget_label=0, mode="sample", rng=np.random.default_rng(0))
    m = leaving_cluster(z, labels, is_forget, "sample")
    assert m["own_class_knn"] == 1.0
    assert m["centroid_margin"] < -0.5


def test_sample_mode_forget_samples_moved_into_another_class():
    z, labels, is_forget = scene([1, 2], forget_label=0, mode="sample", rng=np.random.default_rng(1))
    m = leaving_cluster(z, labels, is_forget, "sample")
    assert m["own_class_knn"] == 0.0
    assert m["centroid_margin"] > 0.5


def test_class_mode_the_forget_class_is_its_own_cluster_at_the_start():
    # The remaining set holds no sample of the forget class (3): its cluster is the other forget samples.
    z, labels, is_forget = scene([3, 3, 3], forget_label=3, mode="class", rng=np.random.default_rng(2))
    m = leaving_cluster(z, labels, is_forget, "class")
    assert m["own_class_knn"] == 1.0
    assert m["centroid_margin"] < -0.5


def test_class_mode_a_class_scattered_into_the_others_has_left():
    z, labels, is_forget = scene([0, 1, 2], forget_label=3, mode="class", rng=np.random.default_rng(3))
    m = leaving_cluster(z, labels, is_forget, "class")
    assert m["own_class_knn"] == 0.0
    assert m["centroid_margin"] > 0.3


def test_half_way_is_measured_in_between():
    # Half of the forget samples still inside their class, half moved: the kNN share says exactly that.
    z, labels, is_forget = scene([0, 1], forget_label=0, mode="sample", rng=np.random.default_rng(4))
    m = leaving_cluster(z, labels, is_forget, "sample")
    assert m["own_class_knn"] == pytest.approx(0.5)
    assert abs(m["centroid_margin"]) < 0.2


def test_without_forget_samples_it_refuses():
    z, labels, _ = scene([0], forget_label=0, mode="sample", rng=np.random.default_rng(5))
    with pytest.raises(ValueError):
        leaving_cluster(z, labels, np.zeros(len(z), bool), "sample")


def test_non_finite_embeddings_measure_nothing(class_prep):
    from unlearn_core.leaving_cluster import measures_of_probe

    z = np.zeros((len(class_prep.split.probe), 4), np.float32)
    z[3, 1] = np.nan
    assert measures_of_probe(z, class_prep.data, class_prep.split) == {"own_class_knn": None, "centroid_margin": None}
