"""Whether the forget samples left their class's cluster, in numbers, in the embedding space.

    leaving_cluster(embeddings, labels, is_forget, mode)    # -> {"own_class_knn": ..., "centroid_margin": ...}
    embedding_measures(model, data, split, device)          # the same, for a model, on split's probe set

UMAP (the app's map) keeps neighbourhoods roughly but not distances, so a picture of points "leaving a
cluster" is a hint, not a measurement. These two numbers are computed on the L2-normalised embeddings
themselves (cosine geometry), on the probe set the map shows:

- own_class_knn: the share of forget samples whose k = 10 nearest reference samples are mostly (more than
  half) of the forget sample's own class. 1: every forget sample still sits in its class's cluster; 0: none.
- centroid_margin: the mean over forget samples of (cosine distance to their own class's centroid minus
  cosine distance to the nearest other class's centroid). Below 0: nearer their own class; above 0:
  nearer another class.

The reference samples differ by mode, because the remaining set means different things:
- sample mode: the remaining probe samples (the issue's definition: "the k nearest remaining samples");
- class mode: the remaining set holds no sample of the forget class, so against it alone own_class_knn
  would be 0 and the own centroid undefined before any update. The forget class's own cluster is the
  other forget samples: the reference is the remaining probe samples plus every other forget sample
  (leave-one-out: a sample is never its own neighbour, nor part of its own class's centroid).
"""
from __future__ import annotations

import numpy as np
import torch

from .data import ImageData
from .metrics import infer
from .splits import Split

NEIGHBOURS = 10
MEASURE_KEYS = ("own_class_knn", "centroid_margin")


def leaving_cluster(embeddings: np.ndarray, labels: np.ndarray, is_forget: np.ndarray, mode: str,
                    k: int = NEIGHBOURS) -> dict[str, float]:
    """own_class_knn and centroid_margin (module docstring) of the forget samples among `embeddings`
    ([P, D], rows L2-normalised; labels [P] true classes; is_forget [P] bool)."""
    z = np.asarray(embeddings, dtype=np.float64)
    labels, is_forget = np.asarray(labels), np.asarray(is_forget, dtype=bool)
    forget = np.flatnonzero(is_forget)
    if len(forget) == 0:
        raise ValueError("no forget samples among the embeddings")
    reference = np.ones(len(z), dtype=bool) if mode == "class" else ~is_forget
    sim = z[forget] @ z.T                                     # [F, P] cosine similarity (rows normalised)
    sim[:, ~reference] = -np.inf
    sim[np.arange(len(forget)), forget] = -np.inf             # never one's own neighbour
    k = min(k, int(reference.sum()) - (1 if mode == "class" else 0))
    nearest = np.argpartition(-sim, k - 1, axis=1)[:, :k]     # the k most similar references, any order
    own_share = (labels[nearest] == labels[forget][:, None]).mean(axis=1)
    return {"own_class_knn": float((own_share > 0.5).mean()),
            "centroid_margin": float(_centroid_margins(z, labels, reference, forget).mean())}


def _centroid_margins(z: np.ndarray, labels: np.ndarray, reference: np.ndarray, forget: np.ndarray) -> np.ndarray:
    """Per forget sample: cosine distance to its own class's centroid minus to the nearest other one's.
    Centroids are the normalised means of the reference samples per class, each forget sample left out
    of its own class's centroid (in sample mode it is not a reference anyway). A forget sample with no
    other sample of its class among the references is taken as orthogonal to its own (distance 1)."""
    classes = np.unique(labels[reference])
    members = reference[None, :] & (labels[None, :] == classes[:, None])                  # [K, P]
    sums = members.astype(np.float64) @ z                                                  # [K, D]
    distance = 1.0 - z[forget] @ _unit(sums).T                                             # [F, K]
    own = labels[forget][:, None] == classes[None, :]                                      # [F, K]
    nearest_other = np.where(own, np.inf, distance).min(axis=1)
    own_sum = own.astype(np.float64) @ sums - reference[forget][:, None] * z[forget]       # [F, D]
    own_count = own.astype(np.float64) @ members.sum(axis=1) - reference[forget]
    own_distance = np.where(own_count > 0, 1.0 - np.sum(_unit(own_sum) * z[forget], axis=1), 1.0)
    return own_distance - nearest_other


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm > 0, norm, 1.0)


def embedding_measures(model: torch.nn.Module, data: ImageData, split: Split, device: torch.device) -> dict[str, float]:
    """leaving_cluster of `model`'s embeddings of split's probe set (any model: the retrain, too)."""
    out = infer(model, data, "train", split.probe, device)
    return measures_of_probe(out.embeddings.numpy(), data, split)


def measures_of_probe(embeddings: np.ndarray, data: ImageData, split: Split) -> dict[str, float | None]:
    """leaving_cluster of probe-set embeddings ([P, D] in split.probe order). None for both when an
    embedding is not finite (a diverging run can overflow some samples' embeddings while its eval sets stay
    finite): there is no geometry to measure, and a NaN would not survive JSON."""
    if not np.isfinite(embeddings).all():
        return dict.fromkeys(MEASURE_KEYS)
    return leaving_cluster(embeddings, data.train_y.numpy()[split.probe], split.probe_is_forget, split.mode)
