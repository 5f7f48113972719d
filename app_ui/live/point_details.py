"""Click a point on the map: its image, true class, prediction and its nearest neighbours, as TensorFlow's
Embedding Projector shows them.

    mark_clicked_point(fig, frame)                  # a ring around the clicked sample on the map figure
    show_chart(fig, key=MAP_KEY, on_click=remember_clicked_point)    # live_chart.py: clicks come back here
    render_point_details(frame, embeddings, thumbnails)     # the panel, for the shown frame
    nearest_neighbours(embeddings, index, k=5)      # streamlit-free: probe positions, most similar first

The neighbours are the most similar probe samples in the embedding space (cosine similarity of the shown
frame's embeddings), not the nearest dots on the picture: UMAP keeps neighbourhoods only roughly, so the
map may put side by side two samples that the encoder sees as far apart, and the panel says what the
encoder sees. The selection is kept as the sample's position in the probe set, which every frame shares,
so the panel follows the shown step while playback moves on, and a ring marks the sample on the map.

Clearing: a click on the selected sample again, a double-click on the map, or the panel's Clear button.
(plotly.js ignores a single click on empty space.)
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from sklearn.metrics.pairwise import cosine_similarity

from .figures import MapFrame
from .live_chart import clicked_point

NEIGHBOURS = 5
MAP_KEY = "map_chart"                    # the live view's map chart; its clicks are read under this key
SELECTED_KEY = "unlearn.clicked_point"   # {"probe": probe position, "train_index": its training-set index}
SHOWN_KEY = "unlearn.clicked_point.shown"   # the drawn map: its probe set's training indices
HIGHLIGHT_TRACE = "clicked point"


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
    # Frames hold float16 embeddings, no longer exactly of unit length: cosine_similarity normalises them.
    similarity = cosine_similarity(z[index:index + 1], z[candidates])[0]
    order = np.argsort(-similarity, kind="stable")[:k]
    return candidates[order], similarity[order]


def selection_after_click(selected: dict | None, probe: int | None, train_index) -> dict | None:
    """What is selected after a click on the map: the clicked sample (probe: its position in the drawn map's
    probe set, whose training indices are `train_index`); nothing after a double-click (probe None), a click
    on the sample already selected, or a position the drawn map does not have."""
    if probe is None or train_index is None or not 0 <= probe < len(train_index):
        return None
    if selected is not None and selected["probe"] == probe:
        return None
    return {"probe": probe, "train_index": int(train_index[probe])}


def remember_clicked_point() -> None:
    """The map's on_click callback (the click arrives before the next draw)."""
    shown = st.session_state.get(SHOWN_KEY) or {}
    selection = selection_after_click(st.session_state.get(SELECTED_KEY), (clicked_point(MAP_KEY) or {}).get("probe"),
                                      shown.get("train_index"))
    if selection is None:
        clear_clicked_point()
    else:
        st.session_state[SELECTED_KEY] = selection


def clear_clicked_point() -> None:
    st.session_state.pop(SELECTED_KEY, None)


def selected_probe(frame: MapFrame) -> int | None:
    """The clicked sample's position in `frame`'s probe set, or None: nothing clicked, or the probe set changed
    since (another configuration), which drops the selection rather than show another sample."""
    selected = st.session_state.get(SELECTED_KEY)
    if selected is None:
        return None
    probe = selected["probe"]
    if probe < len(frame.train_index) and int(frame.train_index[probe]) == selected["train_index"]:
        return probe
    clear_clicked_point()
    return None


def mark_clicked_point(fig: go.Figure, frame: MapFrame) -> None:
    """A ring around the clicked sample, so that it can be followed while it moves. The ring takes no hover or
    click (hoverinfo skip): a click goes to the sample underneath."""
    probe = selected_probe(frame)
    if probe is None:
        return
    if not np.isfinite(frame.xy[probe]).all():
        return
    fig.add_trace(go.Scatter(x=[frame.xy[probe, 0]], y=[frame.xy[probe, 1]], mode="markers", name=HIGHLIGHT_TRACE,
                             marker=dict(size=22, symbol="circle-open", color="black", line=dict(width=3)),
                             hoverinfo="skip", showlegend=False))


def _cell(uri: str, caption: str, size: int) -> str:
    # Sized by style, and object-fit contain: Streamlit's markdown drops an <img>'s width and height attributes,
    # and its own style would draw an 8x8 digit at its natural size inside the box.
    return (f"<figure style='margin:0;text-align:center;font-size:0.75rem'><img src='{uri}' style='width:{size}px;"
            f"height:{size}px;object-fit:contain;image-rendering:pixelated'>"
            f"<figcaption>{caption}</figcaption></figure>")


def details_html(frame: MapFrame, embeddings: np.ndarray, probe: int, thumbnails: list[str],
                 k: int = NEIGHBOURS) -> str:
    """The panel: the clicked sample (image, true class, prediction with its probability at the frame's step)
    and its k nearest neighbours in the embedding space (image, true class, cosine similarity)."""
    names = frame.class_names
    name = lambda c: html.escape(str(names[int(c)]))  # noqa: E731
    kind = "forget sample" if frame.is_forget[probe] else "remaining sample"
    about = (f"<b>training sample #{int(frame.train_index[probe])}</b> ({kind})<br>"
             f"true class {name(frame.labels[probe])}<br>"
             f"predicted {name(frame.predicted[probe])} ({float(frame.confidence[probe]):.0%}) at step {frame.step}")
    neighbours, similarity = nearest_neighbours(embeddings, probe, k)
    cells = [_cell(thumbnails[int(n)], f"class {name(frame.labels[n])}{' ◆' if frame.is_forget[n] else ''}"
                                       f"<br>cos {s:.2f}", 56) for n, s in zip(neighbours, similarity)]
    heading = (f"its {len(cells)} nearest in the embedding space at step {frame.step}" if cells else
               "no neighbours: this sample's embedding is not finite at this step")
    return ("<div class='clicked-point' style='display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap'>"
            + _cell(thumbnails[probe], about, 84) +
            f"<div><div style='font-size:0.8rem;margin-bottom:4px'>{heading} (◆ = forget sample)</div>"
            "<div style='display:flex;gap:10px'>" + "".join(cells) + "</div></div></div>")


def render_point_details(frame: MapFrame, embeddings: np.ndarray, thumbnails: list[str]) -> None:
    """Under the map: the clicked sample at the shown frame, or a hint that points can be clicked."""
    # What a click on this map refers to (the callback runs before the next draw).
    st.session_state[SHOWN_KEY] = {"train_index": frame.train_index}
    probe = selected_probe(frame)
    if probe is None:
        st.caption("Click a sample on the map to see its image, its prediction and its five nearest neighbours in "
                   "the embedding space (not on the map); the panel follows it through the run.")
        return
    st.markdown(details_html(frame, embeddings, probe, thumbnails), unsafe_allow_html=True)
    st.button("Clear", key="clicked_point_clear", on_click=clear_clicked_point,
              help="Or click the sample again, or double-click the map.")
