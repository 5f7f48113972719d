"""One frame of the app's embedding map: projection (align + neighbour placement), figure, serialisation.

    python -m bench.app_frame [--quick]

For 500, 1,000, 2,000 and 5,000 probe points: the time to place a frame's embeddings on the map
(unlearn_core.projection), to build the plotly map figure with trails (app_ui.figures.map_figure) and to
serialise it as st.plotly_chart does (figure -> dict -> plotly JSON). Medians over repeats. The
reference embeddings are the digits model's probe embeddings (128-d), repeated with small noise beyond
digits' 1,437 training images; the 2-D layout is a random stand-in, since a frame's cost does not
depend on where UMAP put the points. Beside it, UMAP's own transform() of 1,000 points (not quick),
the alternative the app does not use.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import plotly.io as pio

from unlearn_core import Experiment, ForgetConfig, TrainConfig, prepare
from unlearn_core.metrics import infer
from unlearn_core.projection import MapProjection, MapSettings

from app_ui.figures import MapFrame, map_figure

from .common import median, print_figures, private_cache

SIZES = (500, 1000, 2000, 5000)
TRAIL_FRAMES = 20          # positions per trail in the figure (the app draws at most 33)
FORGET_SHARE = 0.2         # a fifth of the probe set are forget samples, as in splits.make_split


def _embeddings(quick: bool) -> tuple[np.ndarray, np.ndarray]:
    """The digits model's embeddings of every training image, and their labels."""
    with private_cache():
        recipe = TrainConfig(epochs=3 if quick else 30)
        prep = prepare(Experiment(forget=ForgetConfig(mode="class"), train=recipe, device="cpu"))
        out = infer(prep.original.model, prep.data, "train", np.arange(len(prep.data.train_y)), prep.device)
    return out.embeddings.numpy(), out.labels.numpy()


def _tile(x: np.ndarray, n: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    reps = x[np.resize(np.arange(len(x)), n)]
    noisy = reps + rng.normal(scale=scale, size=reps.shape).astype(np.float32) * (np.arange(n) >= len(x))[:, None]
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def one_size(embeddings: np.ndarray, labels: np.ndarray, n: int, repeats: int) -> dict:
    rng = np.random.default_rng(n)
    reference = _tile(embeddings, n, rng, 0.02)
    point_labels = labels[np.resize(np.arange(len(labels)), n)]
    is_forget = np.arange(n) < int(n * FORGET_SHARE)
    proj = MapProjection(reference, rng.normal(size=(n, 2)).astype(np.float32) * 10, ~is_forget, MapSettings())
    # A later frame: every embedding moved a little, the forget samples a lot.
    frame = reference + rng.normal(scale=0.05, size=reference.shape).astype(np.float32)
    frame[is_forget] = reference[rng.permutation(n)[:is_forget.sum()]]
    frame /= np.linalg.norm(frame, axis=1, keepdims=True)
    trails = np.stack([proj.place(reference)] * (TRAIL_FRAMES - 1) + [proj.place(frame)])
    place_ms, figure_ms, json_ms, sizes = [], [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        xy = proj.place(frame)
        t1 = time.perf_counter()
        fig = map_figure(MapFrame(xy=xy, trails=trails, labels=point_labels, predicted=point_labels,
                                  confidence=np.full(n, 0.9, np.float32), is_forget=is_forget,
                                  train_index=np.arange(n), class_names=tuple(map(str, range(10))),
                                  bounds=proj.bounds(), step=1))
        t2 = time.perf_counter()
        spec = pio.to_json(fig.to_dict(), validate=False)       # what st.plotly_chart sends
        t3 = time.perf_counter()
        place_ms.append(1000 * (t1 - t0))
        figure_ms.append(1000 * (t2 - t1))
        json_ms.append(1000 * (t3 - t2))
        sizes.append(len(spec))
    total = [a + b + c for a, b, c in zip(place_ms, figure_ms, json_ms)]
    return {"place_ms": median(place_ms), "figure_ms": median(figure_ms), "serialise_ms": median(json_ms),
            "frame_ms": median(total), "spec_kb": sizes[0] / 1024}


def umap_transform_ms(embeddings: np.ndarray, n: int = 1000) -> dict:
    """UMAP's transform() of n new points after a fit on n points (warm: a second call)."""
    import umap

    rng = np.random.default_rng(0)
    reference = _tile(embeddings, n, rng, 0.02)
    settings = MapSettings()                        # the app's UMAP settings
    reducer = umap.UMAP(n_neighbors=settings.n_neighbors, min_dist=settings.min_dist, random_state=settings.seed,
                        n_jobs=1).fit(reference)
    moved = _tile(reference + 0.05, n, rng, 0.0)
    reducer.transform(moved[:50])                   # compile transform's own numba code first
    start = time.perf_counter()
    reducer.transform(moved)
    return {"transform_ms_1000_points": 1000 * (time.perf_counter() - start)}


def run(quick: bool = False) -> dict:
    repeats = 3 if quick else 9
    embeddings, labels = _embeddings(quick)
    figures = {
        "description": "One embedding-map frame on a 2-core CPU, medians over repeats: place = align to the "
                       "original space and place by 10 nearest reference embeddings; figure = plotly map with "
                       "class traces, forget diamonds and 20-point trails; serialise = figure to plotly JSON as "
                       "st.plotly_chart does. Budget: 200 ms for 1,000 points.",
        "points": {str(n): one_size(embeddings, labels, n, repeats) for n in SIZES},
    }
    figures["frame_ms_1000_points"] = figures["points"]["1000"]["frame_ms"]
    figures["within_200_ms_budget_at_1000_points"] = figures["frame_ms_1000_points"] <= 200
    if not quick:
        figures["umap_transform"] = {"description": "The alternative not taken: umap-learn's transform() of "
                                                    "1,000 moved points, warm", **umap_transform_ms(embeddings)}
    return figures


if __name__ == "__main__":
    print_figures("app_frame", run(quick="--quick" in sys.argv))
