"""The Unlearn page's "Does it really forget?" section, once a run has stopped and its retrain reference is ready.

    render_evidence(rec, reference, cfg)      # relearn curves, probe beside output, per-sample privacy
    privacy_overlay(rec, cfg)                 # the map's colouring by per-sample privacy, once computed (or None)

Both tests of the unlearned model (the relearning test and the probe, unlearn_core/evidence.py; about as much
compute as the run itself) run in a background Job per recording, shared by every session watching it. The
per-sample privacy needs N models retrained from other seeds (unlearn_core/sample_privacy.py): that costs N
retrainings, so it starts only on a click, with its cost said first, and its models are cached for next time.
The section itself is drawn by forgetting_evidence.py (pure figures and tables + one render function).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from unlearn_core.experiment import Reference, unlearned_evidence
from unlearn_core.sample_privacy import DEFAULT_MODELS, privacy_reference, reference_cost, sample_privacy

from .app_config import AppConfig
from .forgetting_evidence import PRIVACY_COLORSCALE, PRIVACY_TICKS, map_privacy_scores, render_forgetting_evidence
from .jobs.background import Job
from .jobs.board import JobBoard
from .jobs.progress import wait_for_job
from .live.recording import Recording

EVIDENCE = JobBoard("evidence", max_entries=16)     # per recording: the unlearned model's relearn test and probe
PRIVACY = JobBoard("privacy", max_entries=16)       # per recording: the N-model reference, then the scores


def _evidence_job(rec: Recording, reference: Reference) -> Job:
    def work(job: Job) -> dict:
        job.set_phase("fine-tuning copies of the unlearned model (the relearning test) and probing its embeddings")
        return unlearned_evidence(rec.prep, reference, rec.model)
    return EVIDENCE.get(rec.id, work)


def _privacy_job(rec: Recording) -> Job:
    def work(job: Job) -> dict:
        job.set_phase(f"training {DEFAULT_MODELS} models without the forget set, from other seeds (once; then cached)")
        ref = privacy_reference(rec.prep, DEFAULT_MODELS, progress=job.progress)
        job.set_phase("scoring every forget sample")
        return sample_privacy(rec.model, rec.prep, ref)
    return PRIVACY.get(rec.id, work)


def render_evidence(rec: Recording, reference: Reference, cfg: AppConfig) -> None:
    if reference.evidence is None:
        return
    job = _evidence_job(rec, reference)
    if not job.done:
        st.subheader("Does it really forget?")
        wait_for_job(job, "Relearning test and probe")
        return
    if not job.ok:
        st.warning(f"The relearning test and the probe did not finish: {job.why_not_ok}")
        st.button("Try again", key="evidence_retry", on_click=EVIDENCE.drop, args=(job,))
        return
    privacy = _privacy_if_done(rec)
    evidence = {**job.result["evidence"], "metrics": _metrics(rec, reference), "sample_privacy": privacy}
    render_forgetting_evidence(evidence, cfg.forget.mode,
                               privacy_cost=None if privacy else reference_cost(rec.prep, DEFAULT_MODELS))
    if privacy is None:
        _offer_privacy(rec)
    else:
        st.caption("The map's diamonds can be coloured by this score: the player's **Colour** menu, "
                   "*per-sample privacy* (red: still looks seen; blue: looks never seen).")


def _metrics(rec: Recording, reference: Reference) -> dict:
    """The output accuracies the section sets the probe beside: the report's metrics of the three models."""
    return {"original": reference.original_metrics, "unlearned": rec.final.metrics, "retrain": reference.retrain_metrics}


def _privacy_if_done(rec: Recording) -> dict | None:
    job = PRIVACY.peek(rec.id)
    return job.result if job is not None and job.ok else None


def _offer_privacy(rec: Recording) -> None:
    job = PRIVACY.peek(rec.id)
    if job is not None and not job.done:
        wait_for_job(job, "Per-sample privacy")
        return
    if job is not None and not job.ok:
        st.warning(f"The per-sample privacy did not finish: {job.why_not_ok}")
    cost = reference_cost(rec.prep, DEFAULT_MODELS)
    if st.button(f"Compute per-sample privacy ({DEFAULT_MODELS} retrain models, about "
                 f"{cost['seconds_estimate']:.0f} s here, {cost['cached']} already cached)", key="privacy_start"):
        PRIVACY.discard(rec.id)
        _privacy_job(rec)
        st.rerun()


def privacy_overlay(rec: Recording) -> dict | None:
    """The player's optional colouring of the forget samples: one score per probe point (None where the
    point is not a forget sample or has no score), once the per-sample privacy is computed."""
    privacy = _privacy_if_done(rec)
    if privacy is None:
        return None
    split = rec.prep.split
    scores = np.full(len(split.probe), np.nan)
    scores[np.asarray(split.probe_is_forget, dtype=bool)] = map_privacy_scores(privacy, split.probe,
                                                                               split.probe_is_forget)
    return {"name": "per-sample privacy", "scores": [None if np.isnan(s) else round(float(s), 3) for s in scores],
            "scale": PRIVACY_COLORSCALE, "ticks": PRIVACY_TICKS}
