"""What every view draws alike (no Streamlit): the colours of classes, eval sets and methods, the sizes of
a desk and a projector, and the static embedding map the Compare page shows per method.

    class_color(c), method_color("neggrad"), EVAL_CURVES["class"]   # the same colour on every page and download
    look.style                                   # DESK or PROJECTOR sizes (the player reads them: live/payload.py)
    fig = map_figure(MapFrame(...))              # one map frame as a plotly figure (Compare's final maps)

The live map and curves are the browser player's (assets/player.js); it takes its colours and sizes from here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative


FORGET_TRACE = "forget samples"
TRAIL_TRACE = "trails from the start"
START_TRACE = "start positions"
THRESHOLD_PREFIX = "threshold"
PALETTE = qualitative.T10 + qualitative.Dark24 + qualitative.Alphabet
MAP_HEIGHT = 500
FORGET_SYMBOL, START_SYMBOL = "diamond", "circle-open"


@dataclass(frozen=True)
class FigureStyle:
    """Sizes of the figures' text, markers and lines (px), and their heights."""
    font: int = 12                  # titles, axes
    legend_font: int = 11
    point: int = 6                  # remaining samples
    forget_point: int = 10          # forget samples (diamonds)
    start_point: int = 5            # start positions (hollow circles)
    trail_width: float = 1.0
    curve_width: float = 2.0
    curve_marker: int = 4
    map_height: int = MAP_HEIGHT
    accuracy_height: int = 380
    loss_height: int = 330
    plotly_legend: bool = True      # False: the page shows map_key_html instead, in one line
    legend_inside: bool = False     # the accuracy curves' legend inside the plot (saves the height below it)


DESK = FigureStyle()
# Classroom mode. Heights: at 1280x720 the controls, the timeline and the header take about 230 px above
# the charts (tests/test_browser_classroom.py measures that both charts end within the first screen).
PROJECTOR = FigureStyle(font=16, legend_font=15, point=9, forget_point=13, start_point=9, trail_width=1.6,
                        curve_width=4.0, curve_marker=8, map_height=440, accuracy_height=250, loss_height=300,
                        plotly_legend=False, legend_inside=True)

# Eval-set curves per mode: (key in Step.eval, label, colour). One colour per eval set on every page and in
# every download; none of them the threshold's firebrick. Sample mode's test-eval curve is the threshold.
EVAL_CURVES = {
    "class": (("forget_train_acc", "forget-train D^u_tr", "#f58518"), ("forget_test_acc", "forget-test D^u_ts", "#7b4fa0"),
              ("remain_test_acc", "remaining-test D^r_ts", "#4c78a8")),
    "sample": (("forget_train_acc", "forget-eval D^u_eval", "#f58518"),),
}
THRESHOLD_COLOR = "firebrick"
# One colour per method, the same on Side by side, Compare and in the downloads.
METHOD_COLORS = {"contrastive": "#1f77b4", "neggrad": "#d62728", "finetune": "#2ca02c", "retrain": "#7f7f7f",
                 "fisher": "#9467bd", "boundary_shrink": "#8c564b", "boundary_expanding": "#e377c2",
                 "scrub": "#bcbd22", "unsir": "#17becf", "random_labels": "#ff7f0e", "salun": "#393b79"}
SAMPLE_THRESHOLD = ("test_acc", f"{THRESHOLD_PREFIX}: test-eval accuracy D^ts_eval")


def class_color(c: int) -> str:
    return PALETTE[c % len(PALETTE)]


def method_color(method: str) -> str:
    return METHOD_COLORS.get(method, "#444444")


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
