"""What every view draws alike (no Streamlit): the colours of classes, eval sets and methods, and the sizes of
a desk and a projector.

    class_color(c), method_color("neggrad"), EVAL_CURVES["class"]   # the same colour on every page and download
    look.style                                   # DESK or PROJECTOR sizes (the player reads them: live/payload.py)

The live map and curves are the browser player's (assets/player.js); it takes its colours and sizes from here.
The static map figure is map_figure.py's. No numpy here: the Start page's first run imports this (classroom.py),
and numpy's import took about 0.1 s of a fresh server's first render.
"""
from __future__ import annotations

from dataclasses import dataclass

from plotly.colors import qualitative

THRESHOLD_PREFIX = "threshold"
PALETTE = qualitative.T10 + qualitative.Dark24 + qualitative.Alphabet
MAP_HEIGHT = 500


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
