"""The Side by side page's figures (no Streamlit): one map per method with the retrain target, and the
methods' accuracy curves overlaid, one colour per method.

    fig = lane_map_figure(frame, target)                       # figures.map_figure + the retrain's stars
    fig = accuracy_overlay_figure(curves, mode, num_classes, cursor_step)

The leaving-the-cluster curves beside them are cluster_curves.leaving_cluster_figure's, which draws
several runs in the same colours (RUN_COLOURS), in the same order.

Trace names are part of the interface (the browser test looks them up): TARGET_TRACE, and each curve's
name starts with its method's title.
"""
from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
from unlearn_core.steps import Step

from .cluster_curves import RUN_COLOURS
from .figures import THRESHOLD_PREFIX, MapFrame, class_color, map_figure
from .retrain_target import RetrainTarget

TARGET_TRACE = "retrain target"
# One colour per method, the leaving-the-cluster figure's own, so that a method has one colour on both.
METHOD_PALETTE = RUN_COLOURS
LANE_MAP_HEIGHT = 430
CURVES_HEIGHT = 400
# Per mode, the two eval-set accuracies each method draws: (key in Step.eval, label, dash). In class mode the
# threshold is 1/C for all; in sample mode it is each method's own test-eval accuracy (the dotted line).
ACCURACY_CURVES = {
    "class": (("forget_test_acc", "forget-test D^u_ts", "solid"), ("remain_test_acc", "remaining-test D^r_ts", "dot")),
    "sample": (("forget_train_acc", "forget-eval D^u_eval", "solid"),
               ("test_acc", f"{THRESHOLD_PREFIX}: test-eval D^ts_eval", "dot")),
}


def method_color(i: int) -> str:
    return METHOD_PALETTE[i % len(METHOD_PALETTE)]


@dataclass(frozen=True)
class MethodCurves:
    """One method's recorded curves: its evaluated Steps (LiveRun.evaluated) and its closing Step."""
    title: str
    color: str
    evaluated: list[Step]
    final: Step | None


# ---- the map -----------------------------------------------------------------------------------------
def target_trace(target: RetrainTarget, frame: MapFrame) -> go.Scatter:
    """The retrain model's forget samples as stars, coloured like the diamonds: by the class it predicts."""
    names = frame.class_names
    text = [f"true: {names[frame.labels[r]]}<br>retrain predicts: {names[p]} ({c:.0%})<br>training sample "
            f"#{frame.train_index[r]}" for r, p, c in zip(target.rows, target.predicted, target.confidence)]
    return go.Scatter(x=target.xy[:, 0], y=target.xy[:, 1], mode="markers", name=TARGET_TRACE,
                      marker=dict(size=11, symbol="star", color=[class_color(int(p)) for p in target.predicted],
                                  line=dict(width=1, color="black"), opacity=0.9),
                      text=text, customdata=target.rows[:, None],
                      hovertemplate="%{text}<extra>where retraining puts it</extra>")


def lane_map_figure(frame: MapFrame, target: RetrainTarget | None = None) -> go.Figure:
    """One method's map: figures.map_figure, smaller and without its legend (the page explains the marks
    once for all the maps), and the retrain target on top when given."""
    fig = map_figure(frame)
    if target is not None:
        fig.add_trace(target_trace(target, frame))
    fig.update_layout(height=LANE_MAP_HEIGHT, showlegend=False, title=dict(font=dict(size=14)))
    return fig


# ---- the curves --------------------------------------------------------------------------------------
def _last_step(curves: list[MethodCurves]) -> int:
    return max([1, *(s.step for c in curves for s in c.evaluated)])


def _stop_line(c: MethodCurves) -> go.Scatter:
    """Where the method stopped, in its colour; its stop reason on hover."""
    final = c.final
    verb = "terminated" if final.terminated else "stopped"
    return go.Scatter(x=[final.step, final.step], y=[0, 1], mode="lines", name=f"{c.title} {verb} at step {final.step}",
                      legendgroup=c.title, line=dict(color=c.color, dash="dashdot", width=1.5),
                      hovertext=[final.stop_reason] * 2, hoverinfo="text")


def accuracy_overlay_figure(curves: list[MethodCurves], mode: str, num_classes: int,
                            cursor_step: int | None = None) -> go.Figure:
    """Every method's forget and utility accuracies on the eval sets against step, one colour per method,
    the termination threshold, and where each method stopped."""
    fig = go.Figure()
    for c in curves:
        steps = [s.step for s in c.evaluated]
        for key, label, dash in ACCURACY_CURVES[mode]:
            fig.add_trace(go.Scatter(x=steps, y=[s.eval.get(key) for s in c.evaluated], mode="lines+markers",
                                     name=f"{c.title}: {label}", legendgroup=c.title,
                                     line=dict(color=c.color, dash=dash), marker=dict(size=4)))
        if c.final is not None:
            fig.add_trace(_stop_line(c))
    if mode == "class":
        fig.add_trace(go.Scatter(x=[0, _last_step(curves)], y=[1 / num_classes] * 2, mode="lines",
                                 name=f"{THRESHOLD_PREFIX} 1/C = {1 / num_classes:.3f}",
                                 line=dict(color="firebrick", dash="dash")))
    if cursor_step is not None:
        fig.add_vline(x=cursor_step, line=dict(color="rgba(0,0,0,0.35)", width=1))
    fig.update_layout(title=dict(text="Accuracy on the eval sets, every method", x=0.01), height=CURVES_HEIGHT,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title="optimiser step",
                      yaxis=dict(range=[-0.03, 1.03], title="accuracy", tickformat=".0%"), uirevision="acc",
                      legend=dict(font=dict(size=11), orientation="h", yanchor="top", y=-0.18, x=0))
    return fig


def lane_curves(titles: list[str], evaluated: list[list[Step]], finals: list[Step | None]) -> list[MethodCurves]:
    """MethodCurves for each method in order, coloured by its position."""
    return [MethodCurves(t, method_color(i), e, f) for i, (t, e, f) in enumerate(zip(titles, evaluated, finals))]
