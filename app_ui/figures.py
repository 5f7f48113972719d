"""The app's plotly figures, built from plain arrays (no Streamlit): the embedding map and the curves.

    fig = map_figure(MapFrame(...))                              # one frame of the map
    fig = accuracy_figure(run.evaluated, mode, num_classes, final, cursor_step)
    fig = loss_figure(run.losses, cursor_step)
    map_figure(frame, style=PROJECTOR, trails=False)             # a projector's sizes; no trail lines
    map_key_html(frame, trails=True)                             # the map's marks explained in one line

Every figure takes a FigureStyle: DESK (the default) or PROJECTOR (classroom mode: larger text, markers
and lines, and heights that fit the map and the accuracy curves on one 1280x720 screen).

Trace names are part of the interface (the tests and the browser test look them up): FORGET_TRACE,
THRESHOLD_PREFIX, TERMINATION_PREFIX.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from unlearn_core.steps import Step

FORGET_TRACE = "forget samples"
TRAIL_TRACE = "trails from the start"
START_TRACE = "start positions"
THRESHOLD_PREFIX = "threshold"
TERMINATION_PREFIX = "terminated"
STOPPED_PREFIX = "stopped"
PALETTE = qualitative.T10 + qualitative.Dark24 + qualitative.Alphabet
MAP_HEIGHT = 560
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


def map_key_html(frame: MapFrame, trails: bool = True, font_px: int = 14) -> str:
    """One line that explains every mark of map_figure: diamonds, hollow circles, trails, dots, and every
    class's colour (the forget class's too, which no dot shows in class mode)."""
    def swatch(c: int, suffix: str = "") -> str:
        return (f'<span style="white-space:nowrap"><span style="color:{class_color(c)}">&#9632;</span>'
                f"&#8239;{escape(frame.class_names[c])}{suffix}</span>")
    forgotten = forgotten_classes(frame)
    own = (f" (its own: {', '.join(swatch(c) for c in forgotten)})" if forgotten else "")
    parts = [f"<b>&#9670;</b> forget sample, in the colour of the class the model now predicts{own}",
             "<b>&#9675;</b> its start" + (", <b>&#9472;</b> its trail" if trails else "")]
    others = [swatch(int(c)) for c in np.unique(frame.labels[~frame.is_forget])]
    parts.append("<b>&#9679;</b> other samples, by true class: " + " ".join(others))
    return (f'<div class="map-key" style="font-size:{font_px}px;line-height:1.35">'
            + " &nbsp;·&nbsp; ".join(parts) + "</div>")


def _vertical(x: float, y0: float, y1: float, name: str, color: str, dash: str, hover: str,
              width: float = 2.0) -> go.Scatter:
    return go.Scatter(x=[x, x], y=[y0, y1], mode="lines", name=name, line=dict(color=color, dash=dash, width=width),
                      hovertext=[hover, hover], hoverinfo="text")


def accuracy_figure(evaluated: list[Step], mode: str, num_classes: int, final: Step | None = None,
                    cursor_step: int | None = None, style: FigureStyle = DESK) -> go.Figure:
    """Accuracy on the small eval sets over steps, the termination threshold, and where the run stopped."""
    steps = [s.step for s in evaluated]
    last = max(steps[-1] if steps else 0, 1)
    fig = go.Figure()
    for key, label in CURVES[mode]:
        fig.add_trace(go.Scatter(x=steps, y=[s.eval.get(key) for s in evaluated], mode="lines+markers",
                                 name=label, marker=dict(size=style.curve_marker), line=dict(width=style.curve_width)))
    if mode == "class":
        fig.add_trace(go.Scatter(x=[0, last], y=[1 / num_classes] * 2, mode="lines",
                                 name=f"{THRESHOLD_PREFIX} 1/C = {1 / num_classes:.3f}",
                                 line=dict(color="firebrick", dash="dash", width=style.curve_width)))
    else:
        key, label = SAMPLE_THRESHOLD
        fig.add_trace(go.Scatter(x=steps, y=[s.eval.get(key) for s in evaluated], mode="lines+markers", name=label,
                                 line=dict(color="firebrick", dash="dash", width=style.curve_width),
                                 marker=dict(size=style.curve_marker)))
    if final is not None:
        name = f"{TERMINATION_PREFIX if final.terminated else STOPPED_PREFIX} at step {final.step}"
        fig.add_trace(_vertical(final.step, 0, 1, name, "firebrick" if final.terminated else "grey", "dot",
                                hover=final.stop_reason, width=style.curve_width))
    if cursor_step is not None:
        fig.add_vline(x=cursor_step, line=dict(color="rgba(0,0,0,0.35)", width=style.curve_width / 2))
    fig.update_layout(title=dict(text="Accuracy on the eval sets", x=0.01), height=style.accuracy_height,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title="step", yaxis=dict(range=[-0.03, 1.03],
                      title="accuracy", tickformat=".0%"), uirevision="acc", font=dict(size=style.font),
                      legend=dict(font=dict(size=style.legend_font), orientation="h", yanchor="top", y=-0.3, x=0))
    if style.legend_inside:     # the curves start at the top and the threshold lies low: the middle left is free
        fig.update_layout(legend=dict(orientation="v", yanchor="middle", y=0.5, x=0.01, bgcolor="rgba(255,255,255,0.75)"),
                          margin=dict(l=10, r=10, t=36, b=10))
    return fig


def loss_figure(losses: list[dict], cursor_step: int | None = None, style: FigureStyle = DESK) -> go.Figure:
    """L_UL (top) and L_CE (bottom) per optimiser step: their scales differ, so each has its own axis.
    (Two stacked y-axes by hand: plotly's make_subplots costs ~10 ms a frame.)"""
    steps = [row["step"] for row in losses]
    fig = go.Figure([
        go.Scatter(x=steps, y=[row.get("L_UL") for row in losses], mode="lines", name="L_UL (contrastive)",
                   yaxis="y", line=dict(width=style.curve_width)),
        go.Scatter(x=steps, y=[row.get("L_CE") for row in losses], mode="lines", name="L_CE (cross-entropy)",
                   yaxis="y2", line=dict(width=style.curve_width)),
    ])
    if cursor_step is not None:
        fig.add_vline(x=cursor_step, line=dict(color="rgba(0,0,0,0.35)", width=style.curve_width / 2))
    fig.update_layout(title=dict(text="Loss terms", x=0.01), height=style.loss_height,
                      margin=dict(l=10, r=10, t=40, b=10), font=dict(size=style.font), showlegend=False, uirevision="loss", xaxis=dict(title="step", anchor="y2"),
                      yaxis=dict(title="L_UL", domain=[0.55, 1.0]), yaxis2=dict(title="L_CE", domain=[0.0, 0.45]))
    return fig
