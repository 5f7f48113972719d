"""Click a point on the map: its image, true class, prediction and its nearest neighbours, as TensorFlow's
Embedding Projector shows them.

    render_point_details(frame, probe, embeddings, thumbnails, clear)   # the panel under the player
    nearest_neighbours(embeddings, index, k=5)      # streamlit-free: probe positions, most similar first

The player (assets/player.js) reports a click as the sample's position in the probe set and the step it
showed; the page draws the sample at that step's map frame. The neighbours are the most similar probe
samples in the embedding space (cosine similarity of that step's embeddings), not the nearest dots on the
picture: UMAP keeps neighbourhoods only roughly, so the map may put side by side two samples that the
encoder sees as far apart, and the panel says what the encoder sees.

Clearing: a click on the selected sample again, a double-click on the map, or the panel's Clear button.
"""
from __future__ import annotations

import html
from typing import Callable

import numpy as np
import streamlit as st

from ..map_figure import MapFrame

NEIGHBOURS = 5


def nearest_neighbours(embeddings: np.ndarray, index: int, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """The k rows of `embeddings` ([P, D]) most cosine-similar to row `index`, itself excluded: (positions,
    similarities), most similar first; ties keep probe order. Rows with a NaN or inf (a diverging model's)
    are nobody's neighbour, and a non-finite row itself has none."""
    z = np.asarray(embeddings, dtype=np.float32)
    finite = np.isfinite(z).all(axis=1)
    if not finite[index]:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    candidates = np.flatnonzero(finite)
    candidates = candidates[candidates != index]
    from sklearn.metrics.pairwise import cosine_similarity  # 1.5 s to import scikit-learn: not on the first page

    # Frames hold float16 embeddings, no longer exactly of unit length: cosine_similarity normalises them.
    similarity = cosine_similarity(z[index:index + 1], z[candidates])[0]
    order = np.argsort(-similarity, kind="stable")[:k]
    return candidates[order], similarity[order]


def _cell(uri: str, caption: str, size: int) -> str:
    # Sized by style, and object-fit contain: Streamlit's markdown drops an <img>'s width and height attributes,
    # and its own style would draw an 8x8 digit at its natural size inside the box.
    return (f"<figure style='margin:0;text-align:center;font-size:0.75rem'><img src='{uri}' style='width:{size}px;"
            f"height:{size}px;object-fit:contain;image-rendering:pixelated'>"
            f"<figcaption>{caption}</figcaption></figure>")


def details_html(frame: MapFrame, embeddings: np.ndarray | None, probe: int, thumbnails: list[str],
                 k: int = NEIGHBOURS) -> str:
    """The panel: the clicked sample (image, true class, prediction with its probability at the frame's step)
    and its k nearest neighbours in the embedding space (image, true class, cosine similarity)."""
    names = frame.class_names
    name = lambda c: html.escape(str(names[int(c)]))  # noqa: E731
    kind = "forget sample" if frame.is_forget[probe] else "remaining sample"
    about = (f"<b>training sample #{int(frame.train_index[probe])}</b> ({kind})<br>"
             f"true class {name(frame.labels[probe])}<br>"
             f"predicted {name(frame.predicted[probe])} ({float(frame.confidence[probe]):.0%}) at step {frame.step}")
    neighbours, similarity = (nearest_neighbours(embeddings, probe, k) if embeddings is not None
                              else (np.zeros(0, dtype=np.int64), np.zeros(0)))
    cells = [_cell(thumbnails[int(n)], f"class {name(frame.labels[n])}{' ◆' if frame.is_forget[n] else ''}"
                                       f"<br>cos {s:.2f}", 56) for n, s in zip(neighbours, similarity)]
    heading = (f"its {len(cells)} nearest in the embedding space at step {frame.step}" if cells else
               f"no neighbours at step {frame.step}: its embeddings were not kept (a long run keeps every other "
               f"step's) " if embeddings is None else "no neighbours: this sample's embedding is not finite at this step")
    return ("<div class='clicked-point' style='display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap'>"
            + _cell(thumbnails[probe], about, 84) +
            f"<div><div style='font-size:0.8rem;margin-bottom:4px'>{heading} (◆ = forget sample)</div>"
            "<div style='display:flex;gap:10px'>" + "".join(cells) + "</div></div></div>")


def render_point_details(frame: MapFrame | None, probe: int | None, embeddings: np.ndarray | None,
                         thumbnails: list[str], clear: Callable[[], None]) -> None:
    """Under the map: the clicked sample at `frame` (the map frame at the step the player showed when it was
    clicked), or a hint that points can be clicked."""
    if frame is None or probe is None or not 0 <= probe < len(frame.train_index):
        st.caption("Click a sample on the map to see its image, its prediction and its five nearest neighbours in "
                   "the embedding space (not on the map) at the shown step.")
        return
    st.markdown(details_html(frame, embeddings, probe, thumbnails), unsafe_allow_html=True)
    st.button("Clear", key="clicked_point_clear", on_click=clear,
              help="Or click the sample again, or double-click the map.")
