"""Where the forgotten samples go, drawn: class-wise accuracy bars and the forget samples' prediction matrix.

    class_accuracy_figure(where["class_accuracy"], class_names, forget_class)   # grouped bars per test class
    forget_confusion_figure(matrix, class_names, title, zmax)                   # one heatmap (counts)
    destinations_text(matrix, class_names, model="the unlearned model")         # where they went, in words

`where` is results.where_forgotten(run, reference), the dict the JSON report carries under
"where_forgotten" (unlearn_core/class_outcome.py computes it). No Streamlit here: results_view.py draws.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

MODELS = ("original", "unlearned", "retrain")
MODEL_COLORS = {"original": "#9e9e9e", "unlearned": "#1f77b4", "retrain": "#2ca02c"}
SHOWN_DESTINATIONS = 4        # classes named in the sentence; the rest are summed as "other classes"


def _class_labels(class_names, forget_class: int | None) -> list[str]:
    return [f"{name} (forgotten)" if c == forget_class else str(name) for c, name in enumerate(class_names)]


def class_accuracy_figure(accuracy: dict[str, list], class_names, forget_class: int | None = None) -> go.Figure:
    """Test accuracy per class, one group of bars per class (original, unlearned, retrain). The forget
    class's group (class mode) is its forget-test accuracy, which retraining takes to 0; the others show
    what unlearning cost each remaining class."""
    labels = _class_labels(class_names, forget_class)
    fig = go.Figure([go.Bar(x=labels, y=accuracy[name], name=name, marker_color=MODEL_COLORS[name],
                            hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>")
                     for name in MODELS if name in accuracy])
    fig.update_layout(title=dict(text="Test accuracy per class", x=0.01), barmode="group", height=320,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="true class", type="category"),
                      yaxis=dict(title="accuracy", range=[0, 1.02], tickformat=".0%"),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    return fig


def forget_confusion_figure(matrix, class_names, title: str, zmax: int | None = None) -> go.Figure:
    """The forget samples' counts, true class (rows) by predicted class (columns), as a heatmap with the
    counts written in. Only true classes that hold forget samples get a row: in class mode that is the
    forget class alone, a single row. zmax: the same colour scale for the heatmaps set side by side."""
    counts = np.asarray(matrix)
    rows = np.flatnonzero(counts.sum(axis=1))
    names = [str(n) for n in class_names]
    fig = go.Figure(go.Heatmap(
        z=counts[rows], x=names, y=[names[r] for r in rows], zmin=0, zmax=zmax or max(int(counts.max()), 1),
        colorscale="Blues", showscale=False, texttemplate="%{z}", xgap=1, ygap=1,
        hovertemplate="true %{y} predicted as %{x}: %{z}<extra></extra>"))
    fig.update_layout(title=dict(text=title, x=0.01), height=130 + 28 * len(rows),
                      margin=dict(l=10, r=10, t=40, b=10),
                      xaxis=dict(title="predicted class", type="category", side="bottom"),
                      yaxis=dict(title="true class", type="category", autorange="reversed"))
    return fig


def destinations_text(matrix, class_names, model: str) -> str:
    """Where the forget samples went, in one sentence. With one true class (class mode): its samples' shares
    per predicted class, largest first ("... now predicts the forget samples (class 5) as 3 (41%), 8 (30%),
    ..."). With several (sample mode): the share still predicted as their own class."""
    counts = np.asarray(matrix)
    total = int(counts.sum())
    if total == 0:
        return f"{model.capitalize()} has no forget samples to predict."
    rows = np.flatnonzero(counts.sum(axis=1))
    if len(rows) > 1:
        kept = int(np.trace(counts))
        return (f"{model.capitalize()} still predicts {kept} of the {total} forget samples ({kept / total:.0%}) as "
                f"their own class; the rest are spread over the other classes (the matrix).")
    row = counts[rows[0]]
    order = [c for c in np.argsort(-row, kind="stable") if row[c] > 0]
    parts = [f"{class_names[c]} ({row[c] / total:.0%}{', its own class' if c == rows[0] else ''})"
             for c in order[:SHOWN_DESTINATIONS]]
    rest = int(row[order[SHOWN_DESTINATIONS:]].sum())
    if rest:
        parts.append(f"{len(order) - SHOWN_DESTINATIONS} other classes ({rest / total:.0%})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{model.capitalize()} predicts the {total} forget samples (class {class_names[rows[0]]}) as {listed}."
