"""Does it really forget? The relearning test, the embedding probe and the per-sample privacy, after a run.

    render_forgetting_evidence(evidence_from_report(report), report["mode"])   # the section, in Streamlit
    relearn_figure(evidence)                       # the three relearn curves on one plotly chart (pure)
    evidence_table(evidence, mode)                 # output accuracy beside probe accuracy and relearn steps (pure)
    map_privacy_scores(report["sample_privacy"], split.probe, split.probe_is_forget)
        # one score per forget point of the map, 0 "still looks seen" .. 1 "looks never seen" (NaN: none),
        # for the map to colour by with PRIVACY_COLORSCALE

`evidence` is the report's "evidence" ({"original" | "unlearned" | "retrain": {"relearn", "probe"}},
unlearn_core/evidence.py), optionally with "metrics" (the report's, for the output accuracies) and
"sample_privacy" (the report's, unlearn_core/sample_privacy.py): evidence_from_report() gathers all three.
Everything here but render_forgetting_evidence is pure (no Streamlit calls), for tests and other pages.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from unlearn_core.sample_privacy import scores_on_probe

MODELS = ("original", "unlearned", "retrain")
TITLES = {"original": "Original", "unlearned": "Unlearned", "retrain": "Retrain (never saw it)"}
# Distinct colours and dashes, readable in grey too: the original solid dark, the unlearned bold blue, the
# retrain target grey dashed (the retrain is the target in every figure of the app).
COLOURS = {"original": "#444444", "unlearned": "#1f77b4", "retrain": "#7f7f7f"}
DASHES = {"original": "dot", "unlearned": "solid", "retrain": "dash"}
THRESHOLD_TRACE = "threshold"
# The map's colouring by per-sample privacy: red "still looks seen" (0) to blue "looks never seen" (1).
PRIVACY_COLORSCALE = [[0.0, "#d62728"], [0.5, "#f2f2f2"], [1.0, "#1f77b4"]]
PRIVACY_TICKS = {"tickvals": [0, 0.5, 1], "ticktext": ["still looks seen", "can't tell", "looks never seen"]}

RELEARN_SENTENCE = ("**Relearning:** each model is fine-tuned on the remaining data plus {k} forget samples; the "
                    "curve is its forget accuracy after every step. A model that still holds the forget data in its "
                    "weights climbs back faster than the retrained model, which has to learn it from those few "
                    "samples: the retrain curve is the target.")
PROBE_SENTENCE = ("**Probe:** a fresh linear classifier fitted on the frozen embeddings says whether the forget data "
                  "is still linearly decodable there even when the output no longer shows it. A retrained model "
                  "scores above chance too, because features learnt on other data generalise: its value is the "
                  "target, not 0.")
PRIVACY_SENTENCE = ("**Per-sample privacy:** for each forget sample, does the unlearned model's confidence look like "
                    "that of {n} models retrained without it, or like the original's?")


def evidence_from_report(report: dict) -> dict:
    """The report's evidence, with its metrics and sample_privacy beside it ({} where the run has none)."""
    evidence = dict(report.get("evidence") or {})
    if evidence:
        evidence["metrics"] = report.get("metrics")
        evidence["sample_privacy"] = report.get("sample_privacy")
    return evidence


def _relearn(evidence: dict, name: str) -> dict | None:
    return ((evidence.get(name) or {}).get("relearn")) or None


def _probe(evidence: dict, name: str) -> dict | None:
    return ((evidence.get(name) or {}).get("probe")) or None


def relearn_figure(evidence: dict, height: int = 320) -> go.Figure:
    """Forget accuracy (%) against fine-tuning steps for original, unlearned and retrain, with the threshold."""
    fig = go.Figure()
    threshold = cap = None
    for name in MODELS:
        rel = _relearn(evidence, name)
        if rel is None:
            continue
        threshold, cap = rel["threshold"], max(cap or 0, len(rel["curve"]) - 1)
        steps = rel["steps_to_threshold"]
        label = f"{TITLES[name]}: {steps} steps" if steps is not None else f"{TITLES[name]}: not within {cap}"
        fig.add_trace(go.Scatter(x=list(range(len(rel["curve"]))), y=[100 * a for a in rel["curve"]], mode="lines",
                                 name=label, line=dict(color=COLOURS[name], dash=DASHES[name],
                                                       width=3 if name == "unlearned" else 2)))
    if threshold is not None:
        fig.add_trace(go.Scatter(x=[0, cap], y=[100 * threshold] * 2, mode="lines",
                                 name=f"{THRESHOLD_TRACE} {100 * threshold:.0f}%",
                                 line=dict(color="firebrick", dash="dash", width=1.5)))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.25),
                      xaxis_title="fine-tuning steps (remaining data + K forget samples)",
                      yaxis_title="forget accuracy (%)", yaxis_range=[-3, 103],
                      title=dict(text="How fast does the forget data come back?", font=dict(size=14)))
    return fig


def _output_accuracy(metrics: dict | None, name: str, mode: str) -> float | None:
    """The output accuracy on the set the probe scores: D^u_ts in class mode, D^u_tr in sample mode."""
    row = (metrics or {}).get(name) or {}
    return row.get("forget_test_acc" if mode == "class" else "forget_train_acc")


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def evidence_table(evidence: dict, mode: str) -> pd.DataFrame:
    """One row per model: output accuracy on the forget data, probe accuracy on the same data (and, in sample
    mode, on unseen test images), relearn steps; in percent (steps as text: "12", ">100", "-")."""
    metrics = evidence.get("metrics")
    forget_set = "D^u_ts" if mode == "class" else "D^u_tr"
    records = []
    for name in MODELS:
        rel, prb = _relearn(evidence, name), _probe(evidence, name)
        if rel is None and prb is None:
            continue
        record = {"model": TITLES[name],
                  f"output acc on {forget_set} (%)": _percent(_output_accuracy(metrics, name, mode)),
                  f"probe acc on {forget_set} (%)": _percent((prb or {}).get("forget_acc"))}
        if mode == "sample":
            record["probe acc on D_ts (%)"] = _percent((prb or {}).get("test_acc"))
        steps = (rel or {}).get("steps_to_threshold")
        record["relearn steps"] = ("-" if rel is None else str(steps) if steps is not None
                                   else f">{len(rel['curve']) - 1}")
        records.append(record)
    return pd.DataFrame(records)


def privacy_caption(sample_privacy: dict | None, cost: dict | None = None) -> str:
    """What N buys and costs, with this run's figures where there are any."""
    if sample_privacy:
        n = sample_privacy["models"]
        spent = (f"Here: {n} models, {sample_privacy['reference_flops']:.2g} training FLOPs, "
                 f"{sample_privacy['reference_seconds']:.0f} s of training when they were trained "
                 f"({sample_privacy['reference_from_cache']} read from the cache). ")
    elif cost:
        n = cost["models"]
        spent = (f"For {n} models: {cost['flops']:.2g} training FLOPs, about {cost['seconds_estimate']:.0f} s "
                 f"({cost['cached']} already cached). ")
    else:
        n, spent = "N", ""
    return (f"The per-sample view compares each forget sample with {n} models retrained from different seeds. "
            f"More models give each sample a steadier picture of \"never seen\" (the noise of its mean falls as "
            f"1/√N; research uses 64 or more), and each costs one more retraining, paid once and cached. {spent}"
            f"At 8 a sample's spread is still rough, so read the share, not single points.")


def privacy_summary(sample_privacy: dict) -> str:
    """The share in one sentence, with its target and the samples where the test can tell anything."""
    separable = sample_privacy.get("separable")
    return (f"{100 * sample_privacy['share']:.0f}% of the forget samples look never seen (score > 0.5); a retrained "
            f"model, left out of the reference, gets {100 * sample_privacy['retrain_share']:.0f}% (the target); "
            f"the original gets 0% by construction. Seen and never-seen models differ clearly on "
            f"{100 * (separable or 0):.0f}% of the samples: on the rest no test can tell, and their scores "
            f"hover near 0.5.")


def map_privacy_scores(sample_privacy: dict | None, probe: np.ndarray, probe_is_forget: np.ndarray) -> np.ndarray:
    """One score per forget point of the map (split.probe[split.probe_is_forget], in that order): 0 "still
    looks seen" .. 1 "looks never seen"; NaN for a point with no score (or all NaN without sample_privacy)."""
    if not sample_privacy:
        return np.full(int(np.asarray(probe_is_forget, dtype=bool).sum()), np.nan)
    return scores_on_probe(sample_privacy, probe, probe_is_forget)


def render_forgetting_evidence(evidence: dict, mode: str, privacy_cost: dict | None = None) -> None:
    """The "Does it really forget?" section: relearn curves, the probe beside the output, the per-sample
    privacy share (when computed) and what N buys and costs. `evidence`: evidence_from_report(report), or the
    report's "evidence" alone (then without output accuracies and privacy). `privacy_cost`:
    unlearn_core.sample_privacy.reference_cost(prep, N), shown before the N-model reference is built."""
    st.subheader("Does it really forget?")
    if not any(_relearn(evidence, name) or _probe(evidence, name) for name in MODELS):
        st.caption("No relearning test or probe in this run (they run with the report unless turned off).")
        return
    k = next((_relearn(evidence, n)["k"] for n in MODELS if _relearn(evidence, n)), "K")
    st.plotly_chart(relearn_figure(evidence), width="stretch", key="forgetting_evidence_relearn")
    st.markdown(RELEARN_SENTENCE.format(k=k))
    st.dataframe(evidence_table(evidence, mode), hide_index=True, width="stretch")
    st.markdown(PROBE_SENTENCE)
    sample_privacy = evidence.get("sample_privacy")
    if sample_privacy:
        st.markdown(PRIVACY_SENTENCE.format(n=sample_privacy["models"]) + " " + privacy_summary(sample_privacy))
    st.caption(privacy_caption(sample_privacy, privacy_cost))
