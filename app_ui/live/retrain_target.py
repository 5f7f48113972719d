"""Where retraining puts the forget samples: the retrain model's embeddings of them, placed on a run's map.

    target = retrain_target(prepared, ref.retrain.model)    # ref: unlearn_core.Reference (resources.reference_job)
    target.xy, target.rows, target.predicted                # map positions of the forget probe samples
    target.measures                                         # {"own_class_knn", "centroid_margin"} of the retrain

The gold standard of unlearning is a model that never saw the forget set; its embedding of the forget
samples is where an unlearning method should take them. It is placed exactly as every frame of a run is
(the map's projection: rotated onto the original model's space using the remaining samples, then at the
weighted mean of the nearest original embeddings' map positions), so its stars and a run's diamonds are
comparable.

Computed from the map's own probe set (PreparedMap.prep.split), never from anything the Reference holds:
the reference job is shared by every map size of an experiment, and the probe set depends on the size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from unlearn_core.leaving_cluster import measures_of_probe
from unlearn_core.runner import probe_frame

from .prepared_map import PreparedMap


@dataclass(frozen=True, eq=False)
class RetrainTarget:
    rows: np.ndarray              # int [F]: the forget samples' positions in the probe set
    xy: np.ndarray                # float32 [F, 2]: where the retrain model puts them on the map
    predicted: np.ndarray         # int [F]: the retrain model's predicted class
    confidence: np.ndarray        # float [F]: its probability
    measures: dict                # the retrain's leaving-the-cluster numbers on this probe set


def retrain_target(prepared: PreparedMap, retrain_model: torch.nn.Module) -> RetrainTarget:
    prep = prepared.prep
    frame = probe_frame(retrain_model, prep.data, prep.split, prep.device)
    rows = np.flatnonzero(prep.split.probe_is_forget)
    xy = prepared.projection.place(frame.embeddings)
    return RetrainTarget(rows=rows, xy=xy[rows], predicted=frame.probs[rows].argmax(axis=1),
                         confidence=frame.probs[rows].max(axis=1),
                         measures=measures_of_probe(frame.embeddings, prep.data, prep.split))
