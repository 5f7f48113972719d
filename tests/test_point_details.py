"""Click a point: the nearest neighbours in the embedding space on hand-made embeddings, the click's
resolution to a probe sample, the panel's content, and (AppTest) a selection that follows playback."""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from app_testing import TINY_EPOCHS, figures, open_page, values, wait_until_prepared
from app_ui import live_run
from app_ui.figures import MapFrame
from app_ui.live_run import LiveRun, PreparedMap
from app_ui.live.point_details import HIGHLIGHT_TRACE, SELECTED_KEY, details_html, nearest_neighbours, selection_after_click
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


def test_a_click_selects_the_sample_and_a_second_click_or_a_double_click_clears_it():
    train_index = np.array([40, 41, 42])
    first = selection_after_click(None, 1, train_index)
    assert first == {"probe": 1, "train_index": 41}
    assert selection_after_click(first, 2, train_index) == {"probe": 2, "train_index": 42}    # another sample
    assert selection_after_click(first, 1, train_index) is None         # the selected sample again
    assert selection_after_click(first, None, train_index) is None      # a double-click on the map
    assert selection_after_click(None, 3, train_index) is None          # not a position of the drawn map
    assert selection_after_click(None, 0, None) is None                 # no map drawn yet


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


def test_drawn_frames_keep_their_embeddings_and_count_against_the_memory_budget(class_prep, monkeypatch):
    # A stand-in layout (UMAP is not what is tested); every frame is placed as soon as it is recorded, as the
    # live view draws it. Placed frames used to drop their embeddings; the panel needs them at any shown step.
    split = class_prep.split
    out = infer(class_prep.original.model, class_prep.data, "train", split.probe, class_prep.device)
    layout = np.random.default_rng(0).normal(size=(len(split.probe), 2)).astype(np.float32)
    prepared = PreparedMap(class_prep, MapProjection(out.embeddings.numpy(), layout, ~split.probe_is_forget,
                                                     MapSettings()), [], out.probs().numpy())
    frame_bytes = out.embeddings.numel() * 2                        # float16
    monkeypatch.setattr(live_run, "FRAME_BYTES_BUDGET", int(3.5 * frame_bytes))
    cfg = replace(class_prep.exp.unlearn_config(), probe_every=1, max_steps=5)
    run = LiveRun(prepared, replace(class_prep.exp, unlearn=cfg))
    while run.final is None:
        run.advance(max_updates=1)
        run.frame_xy(len(run.frames) - 1)
        assert sum(f.embeddings.nbytes for f in run.frames) <= 3.5 * frame_bytes
    assert all(f.embeddings.shape == out.embeddings.shape for f in run.frames)
    steps = [f.step for f in run.frames]
    assert steps[0] == 0 and steps[-1] == 5 and len(steps) < 6            # thinned, the first and newest kept


# ---- the page (AppTest) -----------------------------------------------------------------------------

@pytest.fixture
def tiny_recipe(monkeypatch):
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)


def panel(at) -> str:
    return next((m.value for m in at.markdown if "clicked-point" in m.value), "")


def ring(at) -> tuple[float, float] | None:
    trace = next((t for t in figures(at)[0]["data"] if t.get("name") == HIGHLIGHT_TRACE), None)
    return None if trace is None else (float(values(trace["x"])[0]), float(values(trace["y"])[0]))


def test_a_clicked_sample_is_followed_through_the_run_and_the_timeline(tiny_recipe):
    # AppTest cannot click a plotly point: the click's outcome (what remember_clicked_point stores) is set
    # directly; the click itself is tested above (selection_after_click) and in tests/test_browser_click.py.
    at = wait_until_prepared(open_page("pages/unlearn.py"))
    run = at.session_state["unlearn_run"].run
    assert not panel(at) and ring(at) is None                      # nothing clicked: a hint only
    assert any("Click a sample on the map" in c.value for c in at.caption)
    probe = 0                                                       # the first forget sample
    at.session_state[SELECTED_KEY] = {"probe": probe, "train_index": int(run.prep.split.probe[probe])}
    at.run()
    assert "at step 0" in panel(at) and "(forget sample)" in panel(at)    # before Run: the original model
    assert panel(at).count("<img ") == 6
    assert ring(at) == pytest.approx(tuple(run.projection.place(run.projection.reference)[probe]), abs=1e-4)
    for _ in range(3):
        at.button(key="btn_step").click().run()
    assert not at.exception
    assert "at step 3" in panel(at) and "5 nearest in the embedding space at step 3" in panel(at)
    assert ring(at) == pytest.approx(tuple(run.frame_xy(len(run.frames) - 1)[probe]), abs=1e-4)
    expected, _ = nearest_neighbours(run.frames[-1].embeddings, probe)
    shown = re.findall(r"<img src='([^']+)'", panel(at))[1:]
    assert shown == [run.thumbnails[i] for i in expected]
    # Scrubbed back (to step 0: the live view takes the last few steps it set itself for the slider's echo).
    at.select_slider(key="unlearn_timeline").set_value(0).run()
    assert "at step 0" in panel(at)
    assert ring(at) == pytest.approx(tuple(run.frame_xy(0)[probe]), abs=1e-4)
    at.button(key="clicked_point_clear").click().run()
    assert not panel(at) and ring(at) is None and SELECTED_KEY not in at.session_state
    # Another configuration draws another probe set: the old selection is dropped, not shown on a stranger.
    at.session_state[SELECTED_KEY] = {"probe": probe, "train_index": -1}
    at.run()
    assert not panel(at) and SELECTED_KEY not in at.session_state
