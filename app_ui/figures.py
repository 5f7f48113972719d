"""The app's plotly figures, built from plain arrays (no Streamlit): the embedding map and the curves.

    fig = map_figure(MapFrame(...))                              # one frame of the map
    fig = accuracy_figure(run.evaluated, mode, num_classes, final, cursor_step)
    fig = loss_figure(run.losses, cursor_step)

Trace names are part of the interface (the tests and the browser test look them up): FORGET_TRACE,
THRESHOLD_PREFIX, TERMINATION_PREFIX.
"""
from __future__ import annotations

from dataclasses import dataclass

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

# Eval-set curves per mode: (key in Step.eval, label). Sample mode's test-eval curve is the threshold.
CURVES = {
    "class": (("forget_train_acc", "forget-train D^u_tr"), ("forget_test_acc", "forget-test D^u_ts"),
              ("remain_test_acc", "remaining-test D^r_ts")),
    "sample": (("forget_train_acc", "forget-eval D^u_eval"),),
}
SAMPLE_THRESHOLD = ("test_acc", f"{THRESHOLD_PREFIX}: test-eval accuracy D^ts_eval")


def class_color(c: int) -> str:
    return PALETTE[c % len(PALETTE)]


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


def map_figure(frame: MapFrame) -> go.Figure:
    """Remaining samples as faded class-coloured clusters; forget samples as diamonds coloured by their
    predicted class, each with a trail from where it started. customdata[0] of every sample point is
    its position in the probe set (the hover-image component looks the image up with it)."""
    traces = []
    remaining = ~frame.is_forget
    for c in np.unique(frame.labels[remaining]):
        rows = np.flatnonzero(remaining & (frame.labels == c))
        traces.append(go.Scatter(
            x=frame.xy[rows, 0], y=frame.xy[rows, 1], mode="markers", name=f"class {frame.class_names[c]}",
            marker=dict(size=6, color=class_color(int(c)), opacity=0.45),
            text=_hover_text(frame, rows), customdata=rows[:, None],
            hovertemplate="%{text}<extra>remaining</extra>"))
    rows = np.flatnonzero(frame.is_forget)
    if len(rows):
        path = frame.trails[:, rows, :]                                   # [T, F, 2]
        # One polyline per forget sample, separated by NaN (drawn as gaps).
        sep = np.full((1, len(rows), 2), np.nan, dtype=np.float32)
        lines = np.concatenate([path, sep]).transpose(1, 0, 2).reshape(-1, 2)
        traces.append(go.Scatter(x=lines[:, 0], y=lines[:, 1], mode="lines", name=TRAIL_TRACE,
                                 line=dict(width=1, color="rgba(60,60,60,0.45)"), hoverinfo="skip"))
        traces.append(go.Scatter(x=path[0, :, 0], y=path[0, :, 1], mode="markers", name=START_TRACE,
                                 marker=dict(size=5, symbol="circle-open", color="rgba(60,60,60,0.6)"),
                                 hoverinfo="skip"))
        traces.append(go.Scatter(
            x=frame.xy[rows, 0], y=frame.xy[rows, 1], mode="markers", name=FORGET_TRACE,
            marker=dict(size=10, symbol="diamond", color=[class_color(int(p)) for p in frame.predicted[rows]],
                        line=dict(width=1.5, color="black")),
            text=_hover_text(frame, rows), customdata=rows[:, None],
            hovertemplate="%{text}<extra>forget sample</extra>"))
    fig = go.Figure(traces)
    (x0, x1), (y0, y1) = frame.bounds
    fig.update_layout(
        title=dict(text=frame.title or f"Embedding map, step {frame.step}", x=0.01),
        xaxis=dict(range=[x0, x1], showticklabels=False, showgrid=False, zeroline=False, title=None),
        yaxis=dict(range=[y0, y1], showticklabels=False, showgrid=False, zeroline=False, title=None),
        height=MAP_HEIGHT, margin=dict(l=10, r=10, t=40, b=10), hovermode="closest",
        legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.01, xanchor="left", x=0,
                    font=dict(size=11)),
        uirevision="map")   # keep the user's zoom across frames
    return fig


def _vertical(x: float, y0: float, y1: float, name: str, color: str, dash: str, hover: str) -> go.Scatter:
    return go.Scatter(x=[x, x], y=[y0, y1], mode="lines", name=name, line=dict(color=color, dash=dash, width=2),
                      hovertext=[hover, hover], hoverinfo="text")


def accuracy_figure(evaluated: list[Step], mode: str, num_classes: int, final: Step | None = None,
                    cursor_step: int | None = None) -> go.Figure:
    """Accuracy on the small eval sets over steps, the termination threshold, and where the run stopped."""
    steps = [s.step for s in evaluated]
    last = max(steps[-1] if steps else 0, 1)
    fig = go.Figure()
    for key, label in CURVES[mode]:
        fig.add_trace(go.Scatter(x=steps, y=[s.eval.get(key) for s in evaluated], mode="lines+markers",
                                 name=label, marker=dict(size=4)))
    if mode == "class":
        fig.add_trace(go.Scatter(x=[0, last], y=[1 / num_classes] * 2, mode="lines",
                                 name=f"{THRESHOLD_PREFIX} 1/C = {1 / num_classes:.3f}",
                                 line=dict(color="firebrick", dash="dash")))
    else:
        key, label = SAMPLE_THRESHOLD
        fig.add_trace(go.Scatter(x=steps, y=[s.eval.get(key) for s in evaluated], mode="lines+markers", name=label,
                                 line=dict(color="firebrick", dash="dash"), marker=dict(size=4)))
    if final is not None:
        name = f"{TERMINATION_PREFIX if final.terminated else STOPPED_PREFIX} at step {final.step}"
        fig.add_trace(_vertical(final.step, 0, 1, name, "firebrick" if final.terminated else "grey", "dot",
                                hover=final.stop_reason))
    if cursor_step is not None:
        fig.add_vline(x=cursor_step, line=dict(color="rgba(0,0,0,0.35)", width=1))
    fig.update_layout(title=dict(text="Accuracy on the eval sets", x=0.01), height=380,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title="step", yaxis=dict(range=[-0.03, 1.03],
                      title="accuracy", tickformat=".0%"), uirevision="acc",
                      legend=dict(font=dict(size=11), orientation="h", yanchor="top", y=-0.3, x=0))
    return fig


def loss_figure(losses: list[dict], cursor_step: int | None = None) -> go.Figure:
    """L_UL (top) and L_CE (bottom) per optimiser step: their scales differ, so each has its own axis.
    (Two stacked y-axes by hand: plotly's make_subplots costs ~10 ms a frame.)"""
    steps = [row["step"] for row in losses]
    fig = go.Figure([
        go.Scatter(x=steps, y=[row.get("L_UL") for row in losses], mode="lines", name="L_UL (contrastive)",
                   yaxis="y"),
        go.Scatter(x=steps, y=[row.get("L_CE") for row in losses], mode="lines", name="L_CE (cross-entropy)",
                   yaxis="y2"),
    ])
    if cursor_step is not None:
        fig.add_vline(x=cursor_step, line=dict(color="rgba(0,0,0,0.35)", width=1))
    fig.update_layout(title=dict(text="Loss terms", x=0.01), height=330, margin=dict(l=10, r=10, t=40, b=10),
                      showlegend=False, uirevision="loss", xaxis=dict(title="step", anchor="y2"),
                      yaxis=dict(title="L_UL", domain=[0.55, 1.0]), yaxis2=dict(title="L_CE", domain=[0.0, 0.45]))
    return fig
