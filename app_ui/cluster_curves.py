"""The leaving-the-cluster curves: own_class_knn and centroid_margin per evaluated step, for one run or
several side by side (no Streamlit).

    fig = leaving_cluster_figure({"contrastive": run.evaluated}, cursor_step=12, target=retrain_measures)

The numbers come from the engine (unlearn_core/leaving_cluster.py), measured in the embedding space:
the map (UMAP) keeps neighbourhoods but not distances, so these curves are what the map only suggests.
"""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from unlearn_core.steps import Step

KNN_TITLE = "own-class kNN share"
MARGIN_TITLE = "centroid margin"
TARGET_PREFIX = "retrain"
EXPLAINER = ("Measured on the embeddings themselves, not on the map (UMAP distances are not faithful; these "
             "numbers are). **own-class kNN share**: the share of forget samples whose 10 nearest samples are "
             "mostly of their own class (1: still in their cluster). **centroid margin**: mean cosine distance to "
             "their own class's centroid minus to the nearest other class's (below 0: nearer their own class; "
             "above 0: nearer another). In class mode the forget class's cluster is the other forget samples, as "
             "the remaining set has none of it. Dotted: the retrained model, the target.")
RUN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def leaving_cluster_figure(runs: dict[str, list[Step]], cursor_step: int | None = None,
                           target: dict | None = None, height: int = 320, font: int = 12) -> go.Figure:
    """Two stacked panels sharing the step axis: own_class_knn (0..1) above, centroid_margin below. One
    colour per run (the dict's order); `target` (the retrain's measures) as dotted lines; the shown step
    as a vertical marker."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(KNN_TITLE, MARGIN_TITLE))
    several = len(runs) > 1
    for i, (name, steps) in enumerate(runs.items()):
        measured = [s for s in steps if s.embedding is not None]
        x = [s.step for s in measured]
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        for row, key in ((1, "own_class_knn"), (2, "centroid_margin")):
            fig.add_trace(go.Scatter(x=x, y=[s.embedding[key] for s in measured], mode="lines+markers",
                                     name=name,
                                     legendgroup=name, showlegend=several and row == 1,
                                     line=dict(color=colour, width=2), marker=dict(size=5)), row=row, col=1)
    if target is not None:
        for row, key in ((1, "own_class_knn"), (2, "centroid_margin")):
            fig.add_hline(y=target[key], line=dict(dash="dot", color="grey"), row=row, col=1,
                          annotation_text=f"{TARGET_PREFIX} {target[key]:.2f}", annotation_position="bottom right")
    fig.add_hline(y=0, line=dict(color="lightgrey", width=1), row=2, col=1)
    if cursor_step is not None:
        fig.add_vline(x=cursor_step, line=dict(color="black", width=1, dash="dash"))
    fig.update_yaxes(range=[-0.05, 1.05], row=1, col=1)
    fig.update_xaxes(title_text="optimiser step", row=2, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), font=dict(size=font),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0), uirevision="cluster")
    return fig
