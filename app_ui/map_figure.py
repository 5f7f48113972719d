"""The static embedding map as a plotly figure: one map frame, as the Compare page shows each method's final map.

    fig = map_figure(MapFrame(...), style=DESK, trails=True)

(The live map is the browser player's canvas, assets/player.js; both take their colours from figures.py.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from .figures import DESK, FigureStyle, class_color

FORGET_TRACE = "forget samples"
TRAIL_TRACE = "trails from the start"
START_TRACE = "start positions"
FORGET_SYMBOL, START_SYMBOL = "diamond", "circle-open"


@dataclass(frozen=True, eq=False)
class MapFrame:
    """Everything one frame of the map shows; arrays are in probe order (forget samples first)."""
    xy: np.ndarray                 # float32 [P, 2]
    trails: np.ndarray             # float32 [T, P, 2]: positions along the trail, the start first
    labels: np.ndarray             # int [P]: true class
    predicted: np.ndarray          # int [P]
    confidence: np.ndarray         # float [P]: probability of the predicted class
    is_forget: np.ndarray          # bool [P]
    train_index: np.ndarray        # int [P]: index into the training set (shown on hover)
    class_names: tuple[str, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    step: int
    title: str = ""


def _hover_text(frame: MapFrame, rows: np.ndarray) -> list[str]:
    names = frame.class_names
    return [f"true: {names[t]}<br>predicted: {names[p]} ({c:.0%})<br>training sample #{i}"
            for t, p, c, i in zip(frame.labels[rows], frame.predicted[rows], frame.confidence[rows],
                                  frame.train_index[rows])]


def forgotten_classes(frame: MapFrame) -> list[int]:
    """Classes that only forget samples have: the forget class in class mode (its colour appears on the
    map only where a diamond is still predicted as it), none in sample mode."""
    remaining = set(frame.labels[~frame.is_forget].tolist())
    return sorted(set(frame.labels[frame.is_forget].tolist()) - remaining)


def map_figure(frame: MapFrame, style: FigureStyle = DESK, trails: bool = True) -> go.Figure:
    """Remaining samples as faded class-coloured clusters; forget samples as diamonds coloured by their
    predicted class, each with a hollow circle where it started and (trails) the path from there.
    customdata[0] of every sample point is its position in the probe set (the hover-image component
    looks the image up with it)."""
    traces = []
    remaining = ~frame.is_forget
    for c in np.unique(frame.labels[remaining]):
        rows = np.flatnonzero(remaining & (frame.labels == c))
        traces.append(go.Scatter(
            x=frame.xy[rows, 0], y=frame.xy[rows, 1], mode="markers", name=f"class {frame.class_names[c]}",
            marker=dict(size=style.point, color=class_color(int(c)), opacity=0.45),
            text=_hover_text(frame, rows), customdata=rows[:, None],
            hovertemplate="%{text}<extra>remaining</extra>"))
    for c in forgotten_classes(frame):     # a legend entry only: the forget class's own colour
        traces.append(go.Scatter(x=[None], y=[None], mode="markers", name=f"class {frame.class_names[c]} "
                                 "(the forget class)", marker=dict(size=style.point, color=class_color(c))))
    rows = np.flatnonzero(frame.is_forget)
    if len(rows):
        path = frame.trails[:, rows, :]                                   # [T, F, 2]
        if trails:
            # One polyline per forget sample, separated by NaN (drawn as gaps).
            sep = np.full((1, len(rows), 2), np.nan, dtype=np.float32)
            lines = np.concatenate([path, sep]).transpose(1, 0, 2).reshape(-1, 2)
            traces.append(go.Scatter(x=lines[:, 0], y=lines[:, 1], mode="lines", name=TRAIL_TRACE,
                                     line=dict(width=style.trail_width, color="rgba(60,60,60,0.45)"),
                                     hoverinfo="skip"))
        traces.append(go.Scatter(x=path[0, :, 0], y=path[0, :, 1], mode="markers", name=START_TRACE,
                                 marker=dict(size=style.start_point, symbol=START_SYMBOL, color="rgba(60,60,60,0.6)",
                                             line=dict(width=style.trail_width)),
                                 hoverinfo="skip"))
        traces.append(go.Scatter(
            x=frame.xy[rows, 0], y=frame.xy[rows, 1], mode="markers", name=FORGET_TRACE,
            marker=dict(size=style.forget_point, symbol=FORGET_SYMBOL,
                        color=[class_color(int(p)) for p in frame.predicted[rows]],
                        line=dict(width=1.5 * style.trail_width, color="black")),
            text=_hover_text(frame, rows), customdata=rows[:, None],
            hovertemplate="%{text}<extra>forget sample</extra>"))
    fig = go.Figure(traces)
    (x0, x1), (y0, y1) = frame.bounds
    fig.update_layout(
        title=dict(text=frame.title or f"Embedding map, step {frame.step}", x=0.01),
        xaxis=dict(range=[x0, x1], showticklabels=False, showgrid=False, zeroline=False, title=None),
        yaxis=dict(range=[y0, y1], showticklabels=False, showgrid=False, zeroline=False, title=None),
        height=style.map_height, margin=dict(l=10, r=10, t=40, b=10), hovermode="closest", font=dict(size=style.font),
        showlegend=style.plotly_legend,
        legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.01, xanchor="left", x=0,
                    font=dict(size=style.legend_font)),
        uirevision="map")   # keep the user's zoom across frames
    return fig
