"""PreparedMap: what every session and every recording of one experiment's map shares (read-only).

    prepared = prepare_job(cfg.prep_key(), cfg.view.points).result     # app_ui.jobs.resources builds it once
    prepared.prep              # unlearn_core's Prepared: data, split (with the map's probe set), original model
    prepared.projection        # the original model's UMAP layout; .place(embeddings) puts any frame on it
    prepared.preview()         # the map at step 0 (the original model), as a MapFrame for map_figure.map_figure
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unlearn_core.experiment import Prepared
from unlearn_core.projection import MapProjection

from ..map_figure import MapFrame


@dataclass(frozen=True, eq=False)
class PreparedMap:
    prep: Prepared                    # data, split (with the map's probe set), original model
    projection: MapProjection         # UMAP layout of the original model's probe embeddings
    thumbnails: list[str]             # PNG data URI per probe point, for the hover and the clicked-point panel
    original_probs: np.ndarray        # float32 [P, C]: the original model's softmax on the probe set

    @property
    def labels(self) -> np.ndarray:
        """int [P]: the probe samples' true classes."""
        return self.prep.data.train_y.numpy()[self.prep.split.probe]

    def preview(self) -> MapFrame:
        """The original model's map (what step 0 of any run shows)."""
        split = self.prep.split
        xy = self.projection.place(self.projection.reference)
        return MapFrame(xy=xy, trails=xy[None], labels=self.labels,
                        predicted=self.original_probs.argmax(axis=1), confidence=self.original_probs.max(axis=1),
                        is_forget=split.probe_is_forget, train_index=split.probe,
                        class_names=self.prep.data.class_names, bounds=self.projection.bounds(), step=0,
                        title="Embedding map of the original model (step 0)")
