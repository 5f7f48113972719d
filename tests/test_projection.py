"""The map projection: stable placement, alignment that undoes a whole-space drift, forget samples that
land where their new embedding belongs, and the on-disk layout cache."""
from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from unlearn_core.projection import MapProjection, MapSettings, fit_projection, load_or_fit, map_for


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _clusters(n_per: int = 30, dim: int = 16, classes: int = 3, seed: int = 0):
    """Tight clusters around orthogonal directions; a hand-made 2-D layout with one corner per class."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:classes] * 4.0
    labels = np.repeat(np.arange(classes), n_per)
    emb = _normalise(centres[labels] + rng.normal(scale=0.3, size=(len(labels), dim)))
    corners = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])[:classes]
    layout = (corners[labels] + rng.normal(scale=0.5, size=(len(labels), 2))).astype(np.float32)
    return emb, layout, labels


def _random_rotation(dim: int, seed: int = 1) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q.astype(np.float32)


def test_frame_zero_is_placed_where_the_unaligned_placement_puts_it():
    emb, layout, labels = _clusters()
    proj = MapProjection(emb, layout, np.ones(len(emb), bool), MapSettings())
    placed = proj.place(emb)
    assert np.allclose(placed, proj.place(emb, align=False), atol=1e-4)
    # Each point sits inside its own cluster: nearer its class's layout centre than any other's.
    centres = np.stack([layout[labels == c].mean(0) for c in range(3)])
    nearest = np.linalg.norm(placed[:, None, :] - centres[None], axis=2).argmin(axis=1)
    assert (nearest == labels).all()


def test_a_drift_of_the_whole_space_does_not_move_the_map():
    emb, layout, _ = _clusters()
    proj = MapProjection(emb, layout, np.ones(len(emb), bool), MapSettings())
    rotated = emb @ _random_rotation(emb.shape[1])
    assert np.allclose(proj.place(rotated), proj.place(emb), atol=1e-3)
    # Without the alignment the same frame lands elsewhere: the test above is not vacuous.
    assert not np.allclose(proj.place(rotated, align=False), proj.place(emb), atol=1e-1)


def test_a_forget_sample_that_moves_to_another_class_lands_in_its_region():
    emb, layout, labels = _clusters()
    forget = 0                                    # a class-0 sample
    anchors = np.arange(len(emb)) != forget       # the remaining samples align the frame
    proj = MapProjection(emb, layout, anchors, MapSettings())
    rotation = _random_rotation(emb.shape[1], seed=3)
    frame = emb @ rotation                        # the whole space drifted...
    frame[forget] = emb[labels == 2][0] @ rotation   # ...and the forget sample now looks like class 2
    placed = proj.place(frame)
    centres = np.stack([layout[labels == c].mean(0) for c in range(3)])
    assert np.linalg.norm(placed[forget] - centres[2]) < 2.0
    assert np.linalg.norm(placed[forget] - centres[0]) > 8.0
    # The other samples stayed put.
    assert np.allclose(placed[anchors], proj.place(emb)[anchors], atol=1e-3)


def test_every_placed_point_lies_within_the_bounds():
    emb, layout, _ = _clusters()
    proj = MapProjection(emb, layout, np.ones(len(emb), bool), MapSettings())
    noise = _normalise(np.random.default_rng(5).normal(size=emb.shape))
    (x0, x1), (y0, y1) = proj.bounds()
    for frame in (emb, noise):
        xy = proj.place(frame)
        assert ((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).all()


def test_non_finite_embeddings_are_placed_at_nan_and_leave_the_others_where_they_were():
    # A diverging model's frame: some rows NaN or inf (once: SVD did not converge, a red exception box).
    emb, layout, _ = _clusters()
    proj = MapProjection(emb, layout, np.ones(len(emb), bool), MapSettings())
    broken = emb.copy()
    broken[:5] = np.nan
    broken[5, 0] = np.inf
    placed = proj.place(broken)
    assert np.isnan(placed[:6]).all() and np.isfinite(placed[6:]).all()
    assert np.allclose(placed[6:], proj.place(emb)[6:], atol=1e-3)
    assert np.isnan(proj.place(np.full_like(emb, np.nan))).all()          # nothing finite: nothing drawn


def test_a_frame_of_the_wrong_shape_is_refused():
    emb, layout, _ = _clusters()
    proj = MapProjection(emb, layout, np.ones(len(emb), bool), MapSettings())
    with pytest.raises(ValueError, match="probe set"):
        proj.place(emb[:5])


def test_the_fitted_layout_is_cached_on_disk_and_refitted_when_stale(tmp_path):
    emb, _, labels = _clusters(n_per=20)
    anchors = labels != 0
    path = tmp_path / "maps" / "layout.npz"
    fits = []
    first = load_or_fit(emb, anchors, path, on_fit=lambda: fits.append(1))
    assert path.exists() and len(fits) == 1 and first.layout.shape == (len(emb), 2)
    again = load_or_fit(emb, anchors, path, on_fit=lambda: fits.append(1))
    assert len(fits) == 1 and np.array_equal(again.layout, first.layout)
    # Other embeddings under the same file name: the stored reference does not match, so it refits.
    other = _normalise(emb + 0.5)
    load_or_fit(other, anchors, path, on_fit=lambda: fits.append(1))
    assert len(fits) == 2
    # A damaged file is refitted over, not trusted and not fatal.
    path.write_bytes(b"not an npz file")
    load_or_fit(emb, anchors, path, on_fit=lambda: fits.append(1))
    assert len(fits) == 3
    assert not list(path.parent.glob("*.tmp"))          # written atomically: no leftovers


def test_umap_layout_is_deterministic():
    emb, _, _ = _clusters(n_per=15)
    a, b = fit_projection(emb), fit_projection(emb)
    assert np.array_equal(a.layout, b.layout)


def test_the_map_of_a_prepared_experiment_separates_the_forget_class(class_prep):
    from dataclasses import replace

    from unlearn_core import make_split

    prep = replace(class_prep, split=make_split(class_prep.data, class_prep.exp.forget, probe_size=150))
    proj = map_for(prep)
    labels = prep.data.train_y.numpy()[prep.split.probe]
    xy = proj.place(proj.reference)
    fives = xy[labels == 5].mean(axis=0)
    others = np.stack([xy[labels == c].mean(axis=0) for c in range(10) if c != 5])
    spread = np.linalg.norm(xy[labels == 5] - fives, axis=1).mean()
    # The fives form their own cluster: every other class's centre is farther away than the fives' spread.
    assert (np.linalg.norm(others - fives, axis=1) > 2 * spread).all()
    assert map_for(prep).layout.tobytes() == proj.layout.tobytes()        # the second call reads the cache


def test_a_fit_in_a_child_without_pynndescent_gives_the_layout_of_a_fit_here(monkeypatch):
    # While the compile's pynndescent half is not on disk yet, fit_layout fits in a child process that imports
    # umap with empty pynndescent stand-ins (compiled_umap.py): the map must not depend on where it was fitted.
    from unlearn_core import compiled_umap

    emb, _, _ = _clusters()
    here = compiled_umap.fit_layout(emb, 15, 0.99, 0)          # no compile running: fitted in this process
    child = compiled_umap._fit_in_child(emb, 15, 0.99, 0)
    assert child is not None and np.array_equal(child, here)

    # The route: pynndescent's half still compiling and umap not loaded here -> the child.
    calls = []
    monkeypatch.setattr(compiled_umap, "_fit_in_child", lambda *args: calls.append(args) or child)
    monkeypatch.setitem(compiled_umap._half_on_disk, "pynndescent", threading.Event())      # not set: compiling
    monkeypatch.delitem(sys.modules, "umap")
    assert compiled_umap.fit_layout(emb, 15, 0.99, 0) is child and len(calls) == 1
