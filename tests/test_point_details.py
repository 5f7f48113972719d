"""Click a point: the nearest neighbours in the embedding space on hand-made embeddings, the panel's content,
and the recording's embeddings kept for it within their budget. (The click itself: tests/test_app_player.py and
tests/test_browser_player.py.)"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from app_ui.map_figure import MapFrame
from app_ui.live import recording
from app_ui.live.point_details import details_html, nearest_neighbours
from app_ui.live.prepared_map import PreparedMap
from unlearn_core.metrics import infer
from unlearn_core.projection import MapProjection, MapSettings


def unit(angles_deg) -> np.ndarray:
    """Unit vectors in the plane at these angles: cosine similarity = cos(angle difference)."""
    a = np.radians(np.asarray(angles_deg, dtype=float))
    return np.stack([np.cos(a), np.sin(a)], axis=1)


# ---- streamlit-free ---------------------------------------------------------------------------------

def test_the_five_nearest_by_cosine_in_order_without_the_point_itself():
    # Row 0 at 0 degrees; the others at known angles, listed out of order. Lengths vary (float16 frames are not
    # exactly unit length, and cosine must not care): row 3 is 3x longer but still 5 degrees away.
    z = unit([0, 40, 170, 5, 20, 90, 60, 10, 120])
    z[3] *= 3.0
    neighbours, similarity = nearest_neighbours(z.astype(np.float16), 0)
    assert neighbours.tolist() == [3, 7, 4, 1, 6]                  # 5, 10, 20, 40, 60 degrees
    assert similarity == pytest.approx(np.cos(np.radians([5, 10, 20, 40, 60])), abs=2e-3)
    # From another point (20 degrees), itself left out again: 10 degrees away first.
    neighbours, _ = nearest_neighbours(z, 4, k=2)
    assert neighbours.tolist() == [7, 3]
    # Equally similar samples (identical embeddings: rows 2 and 3) keep probe order, whichever is asked about.
    z = unit([0, 50, 30, 30, 10])
    assert nearest_neighbours(z, 0, k=4)[0].tolist() == [4, 2, 3, 1]
    assert nearest_neighbours(z, 3, k=2)[0].tolist() == [2, 4]        # its twin first (cosine 1), never itself


def test_non_finite_rows_are_nobodys_neighbour_and_have_none():
    z = unit([0, 1, 2, 3, 4, 5, 6])
    z[1] = np.nan
    z[5, 0] = np.inf
    neighbours, _ = nearest_neighbours(z, 0)
    assert neighbours.tolist() == [2, 3, 4, 6]                     # fewer than five finite ones remain
    assert len(nearest_neighbours(z, 1)[0]) == 0


def test_the_panel_shows_the_sample_its_prediction_and_its_neighbours_images():
    z = unit([0, 40, 170, 5, 20, 90, 60, 10, 120])
    n = len(z)
    frame = MapFrame(xy=np.zeros((n, 2), np.float32), trails=np.zeros((1, n, 2), np.float32),
                     labels=np.array([5, 1, 2, 5, 3, 4, 6, 5, 0]), predicted=np.array([3] + [0] * (n - 1)),
                     confidence=np.array([0.87] + [0.5] * (n - 1)), is_forget=np.array([True, False, False, True]
                                                                                        + [False] * (n - 4)),
                     train_index=np.arange(100, 100 + n), class_names=tuple("0123456789"),
                     bounds=((0, 1), (0, 1)), step=12)
    thumbnails = [f"data:image/png;base64,IMG{i}" for i in range(n)]
    html = details_html(frame, z, 0, thumbnails)
    assert "training sample #100</b> (forget sample)" in html and "true class 5" in html
    assert "predicted 3 (87%) at step 12" in html and "5 nearest in the embedding space at step 12" in html
    # The clicked image first, then its neighbours' images in order (rows 3, 7, 4, 1, 6), with their classes.
    assert re.findall(r"IMG(\d+)", html) == ["0", "3", "7", "4", "1", "6"]
    assert re.findall(r"class (\d)(?: ◆)?<br>cos", html) == ["5", "5", "3", "1", "6"]
    assert html.count("◆<br>cos") == 1                             # row 3 is the one forget sample among them


def test_a_recording_keeps_its_embeddings_within_the_budget_the_first_and_newest_always(class_prep, monkeypatch):
    # A stand-in layout (UMAP is not what is tested). The panel needs a step's embeddings; past the budget every
    # other middle step's are dropped, and a step without its own gets the nearest kept one before it.
    split = class_prep.split
    out = infer(class_prep.original.model, class_prep.data, "train", split.probe, class_prep.device)
    layout = np.random.default_rng(0).normal(size=(len(split.probe), 2)).astype(np.float32)
    prepared = PreparedMap(class_prep, MapProjection(out.embeddings.numpy(), layout, ~split.probe_is_forget,
                                                     MapSettings()), [], out.probs().numpy())
    frame_bytes = out.embeddings.numel() * 2                        # float16
    monkeypatch.setattr(recording, "EMBEDDING_BUDGET", int(3.5 * frame_bytes))
    cfg = replace(class_prep.exp.unlearn_config(), probe_every=1, max_steps=5)
    rec = recording.Recording(prepared, replace(class_prep.exp, unlearn=cfg))
    for step in rec.steps():
        rec.add(step)
        assert sum(e.nbytes for e in rec._embeddings.values()) <= 3.5 * frame_bytes
    kept = sorted(rec._embeddings)
    assert kept[0] == 0 and kept[-1] == 5 and len(kept) < 6                # thinned, the first and newest kept
    assert [f.step for f in rec.frames] == list(range(6)) and all(f.has_map for f in rec.frames)   # maps all kept
    missing = next(s for s in range(6) if s not in kept)
    assert rec.embeddings_at(missing)[0] == max(s for s in kept if s <= missing)
