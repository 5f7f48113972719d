"""The embedding map: UMAP fitted once on the original model's probe embeddings, later frames placed by neighbours.

    proj = map_for(prep)                       # fitted on the original model's probe embeddings, cached on disk
    xy = proj.place(step.probe.embeddings)     # float32 [P, D] (probe order) -> float32 [P, 2], ms for 1,000 points

Why not UMAP's transform() on every frame: it takes about 1.4 s per 1,000 points on a 2-core CPU, far over
a live frame's budget. Instead a frame is placed in two moves:
1. align: unlearning moves the whole embedding space, the remaining samples included (measured on
   digits, class 5: after the run the forget samples' nearest ORIGINAL embeddings were still 96% fives
   although none was predicted a five any more). So each frame is first rotated onto the original
   space by the orthogonal matrix that best superimposes the remaining ("anchor") probe samples on
   their original embeddings (orthogonal Procrustes). A rotation keeps every cosine similarity within
   the frame, so what moves relative to the rest still moves; what the whole space did together does not.
2. place: each aligned embedding lands at the similarity-weighted mean of the map coordinates of its k
   most cosine-similar reference embeddings (the original model's embeddings of the probe set). The
   neighbours of the NEW embedding are looked up, so a forget sample that now resembles another
   class lands in that class's region (digits, class 5: 0% of the forget samples stay nearest the
   fives' region at the end, while the remaining samples move 1% of the map's width).
Coordinates are stable: the reference layout never changes and frame 0 is placed the same way, so a
point moves only when its embedding moves relative to the others; every placed point lies inside the
hull of the layout, so fixed axis ranges fit every frame.

The layout is cached next to the model cache (`<cache dir>/maps/<key>.npz`), keyed by the original
model's cache key, the probe indices and the UMAP settings, written atomically; the stored reference
embeddings are compared with freshly computed ones before a cached layout is reused.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from threadpoolctl import ThreadpoolController

from .files import write_atomic

MAP_FORMAT = "unlearn-map-v1"
# BLAS on one thread for a frame's small products and SVD: on a busy 2-core machine OpenBLAS's threads
# wait on each other and a 128 x 128 SVD took 2 ms or 350 ms at random (measured); alone it takes ~3 ms.
_BLAS = ThreadpoolController()


@dataclass(frozen=True)
class MapSettings:
    n_neighbors: int = 15          # UMAP: neighbourhood size of the fitted layout (its default)
    min_dist: float = 0.99         # UMAP: how tightly points pack; near 1 (default 0.1) the digit clusters show
    #                                as clouds (2.4x wider on digits) rather than dots, so motion within them shows
    seed: int = 0                  # UMAP's random_state: the same embeddings always give the same layout
    k: int = 10                    # placement: reference neighbours averaged per point
    temperature: float = 0.02      # placement: softmax temperature on cosine similarity; small = nearest dominate


@dataclass(frozen=True, eq=False)
class MapProjection:
    reference: np.ndarray          # float32 [P, D], L2-normalised: the original model's probe embeddings
    layout: np.ndarray             # float32 [P, 2]: UMAP coordinates of the reference embeddings
    anchors: np.ndarray            # bool [P]: rows that align frames (the remaining samples, not the forget ones)
    settings: MapSettings

    def align(self, embeddings: np.ndarray) -> np.ndarray:
        """A frame's embeddings [P, D] (rows in reference order) rotated onto the reference space: the
        orthogonal R minimising ||E[anchors] R - reference[anchors]|| (orthogonal Procrustes, via SVD)."""
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.shape != self.reference.shape:
            raise ValueError(f"a frame must hold the probe set's {self.reference.shape} embeddings, got {emb.shape}")
        # Rows with a NaN or inf (a diverging model) cannot align anything: the rotation comes from the
        # finite anchors only (no rotation when none is left), and those rows stay non-finite.
        anchors = self.anchors & np.isfinite(emb).all(axis=1)
        if not anchors.any():
            return emb
        with _BLAS.limit(limits=1, user_api="blas"), np.errstate(invalid="ignore", over="ignore"):
            u, _, vt = np.linalg.svd(emb[anchors].T @ self.reference[anchors])    # [D, D]
            return emb @ (u @ vt)

    def place(self, embeddings: np.ndarray, align: bool = True) -> np.ndarray:
        """Map coordinates of a frame's embeddings [P, D] -> float32 [P, 2]. align=False places any
        embeddings [N, D] by their neighbours as they are (no correspondence with the reference needed).
        A row with a NaN or inf (a diverging model's) is placed at NaN: plotly leaves such a point out."""
        emb = self.align(embeddings) if align else np.asarray(embeddings, dtype=np.float32)
        finite = np.isfinite(emb).all(axis=1)                            # [N]; the others land at NaN (not drawn)
        k = min(self.settings.k, len(self.reference))
        with _BLAS.limit(limits=1, user_api="blas"):
            sims = np.where(finite[:, None], emb, 0) @ self.reference.T  # [N, P] cosine similarities
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]           # [N, k], unordered
        near_sims = np.take_along_axis(sims, nearest, axis=1)            # [N, k]
        # Softmax over the k neighbours, shifted by the best similarity for numerical safety.
        weights = np.exp((near_sims - near_sims.max(axis=1, keepdims=True)) / self.settings.temperature)
        weights /= weights.sum(axis=1, keepdims=True)
        xy = np.einsum("nk,nkc->nc", weights, self.layout[nearest]).astype(np.float32)
        xy[~finite] = np.nan
        return xy

    def bounds(self, margin: float = 0.05) -> tuple[tuple[float, float], tuple[float, float]]:
        """(x range, y range) that holds every placed point, with a margin."""
        lo, hi = self.layout.min(axis=0), self.layout.max(axis=0)
        pad = (hi - lo) * margin + 1e-6
        return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def fit_projection(reference: np.ndarray, anchors: np.ndarray | None = None,
                   settings: MapSettings = MapSettings()) -> MapProjection:
    """Fit UMAP on the reference embeddings [P, D]; anchors: bool [P], the rows that align later frames
    (None: all). The first fit in a process loads umap's compiled code from the disk cache (about 3 s), or
    compiles it when the cache is empty (tens of seconds; compiled_umap.py)."""
    from .compiled_umap import fit_layout     # slow (numba, scikit-learn): only the map needs it

    reference = np.ascontiguousarray(reference, dtype=np.float32)
    if len(reference) < 4:
        raise ValueError(f"a map needs at least 4 points, got {len(reference)}")
    anchors = np.ones(len(reference), bool) if anchors is None else np.asarray(anchors, bool)
    if anchors.shape != (len(reference),) or not anchors.any():
        raise ValueError("anchors must be a bool mask over the reference rows with at least one True")
    layout = fit_layout(reference, settings.n_neighbors, settings.min_dist, settings.seed)
    return MapProjection(reference, np.asarray(layout, dtype=np.float32), anchors, settings)


def map_cache_key(model_key: str, probe: np.ndarray, settings: MapSettings) -> str:
    payload = {"format": MAP_FORMAT, "model": model_key, "settings": settings.__dict__,
               "probe": hashlib.sha256(np.asarray(probe, np.int64).tobytes()).hexdigest()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def load_or_fit(reference: np.ndarray, anchors: np.ndarray, path: Path | None,
                settings: MapSettings = MapSettings(), on_fit: Callable[[], None] | None = None) -> MapProjection:
    """The cached layout at `path` when its stored reference matches, else a fresh fit saved there.
    `on_fit()` is called before a fit (to say that the slow part starts); path None: no cache."""
    if path is not None and path.exists():
        cached = _load(path, reference, anchors, settings)
        if cached is not None:
            return cached
    if on_fit is not None:
        on_fit()
    proj = fit_projection(reference, anchors, settings)
    if path is not None:
        _save_atomic(path, proj)
    return proj


def map_for(prep, settings: MapSettings = MapSettings(), on_fit: Callable[[], None] | None = None) -> MapProjection:
    """The map of a prepared experiment (unlearn_core.experiment.Prepared): its probe set embedded by
    the original model, laid out by UMAP once and cached beside the model cache."""
    from .metrics import infer

    reference = infer(prep.original.model, prep.data, "train", prep.split.probe, prep.device).embeddings.numpy()
    path = None
    if prep.original.path is not None:
        key = map_cache_key(prep.original.path.stem, prep.split.probe, settings)
        path = prep.original.path.parent / "maps" / f"{key}.npz"
    return load_or_fit(reference, ~prep.split.probe_is_forget, path, settings, on_fit)


def _save_atomic(path: Path, proj: MapProjection) -> None:
    write_atomic(path, lambda f: np.savez(f, format=np.array(MAP_FORMAT), reference=proj.reference,
                                          layout=proj.layout))


def _load(path: Path, reference: np.ndarray, anchors: np.ndarray, settings: MapSettings) -> MapProjection | None:
    """The cached projection, or None when the file is damaged, foreign or for other embeddings."""
    try:
        with np.load(path, allow_pickle=False) as blob:
            if str(blob["format"]) != MAP_FORMAT:
                return None
            stored, layout = blob["reference"], blob["layout"]
    except Exception:  # any unreadable file: fit again rather than crash
        return None
    if stored.shape != reference.shape or layout.shape != (len(reference), 2) or not np.allclose(
            stored, reference, atol=1e-4):
        return None
    return MapProjection(stored.astype(np.float32), layout.astype(np.float32), np.asarray(anchors, bool), settings)
