"""The "Does it really forget?" section (app_ui/forgetting_evidence.py) on a saved-report-shaped dict."""
from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from app_ui.forgetting_evidence import (THRESHOLD_TRACE, evidence_from_report, evidence_table, map_privacy_scores,
                                        relearn_figure)


def fake_report(mode: str = "class") -> dict:
    def model(curve, steps, probe):
        return {"relearn": {"k": 5, "threshold": 0.5, "steps_to_threshold": steps, "curve": curve, "max_steps": 3},
                "probe": {"forget_acc": probe, "test_acc": 0.97 if mode == "sample" else None}}
    key = "forget_test_acc" if mode == "class" else "forget_train_acc"
    return {"mode": mode,
            "evidence": {"original": model([1.0, 1.0, 1.0, 1.0], 0, 1.0), "unlearned": model([0.0, 0.6, 1.0, 1.0], 1, 1.0),
                         "retrain": model([0.0, 0.0, 0.1, 0.3], None, 0.84)},
            "metrics": {"original": {key: 1.0}, "unlearned": {key: 0.0}, "retrain": {key: 0.0}},
            "sample_privacy": {"models": 8, "share": 0.4, "retrain_share": 0.65, "separable": 0.1,
                               "indices": [10, 11, 12], "scores": [0.9, 0.2, 0.5],
                               "reference_flops": 3.6e12, "reference_seconds": 75.0, "reference_from_cache": 8}}


def test_three_curves_one_threshold_and_the_table_beside_the_output():
    evidence = evidence_from_report(fake_report())
    fig = relearn_figure(evidence)
    names = [t.name for t in fig.data]
    assert len(names) == 4 and names[-1].startswith(THRESHOLD_TRACE)
    assert len({t.line.color for t in fig.data[:3]}) == 3                 # distinct colours
    assert "not within 3" in names[2] and "1 steps" in names[1]
    table = evidence_table(evidence, "class")
    assert list(table["relearn steps"]) == ["0", "1", ">3"]
    assert list(table["output acc on D^u_ts (%)"]) == [100.0, 0.0, 0.0]
    assert list(table["probe acc on D^u_ts (%)"]) == [100.0, 100.0, 84.0]
    assert "probe acc on D_ts (%)" in evidence_table(evidence_from_report(fake_report("sample")), "sample")


def test_map_scores_follow_the_probe_points():
    sp = fake_report()["sample_privacy"]
    scores = map_privacy_scores(sp, np.array([12, 99, 10, 3]), np.array([True, True, True, False]))
    assert scores[0] == 0.5 and np.isnan(scores[1]) and scores[2] == 0.9
    assert np.isnan(map_privacy_scores(None, np.array([1, 2]), np.array([True, False]))).all()


def render_page():
    from app_ui.forgetting_evidence import evidence_from_report, render_forgetting_evidence
    from tests.test_forgetting_evidence_app import fake_report
    render_forgetting_evidence(evidence_from_report(fake_report()), "class")


def test_the_section_renders_with_its_sentences():
    at = AppTest.from_function(render_page).run(timeout=30)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Does it really forget?" in [h.value for h in at.subheader]
    assert "the retrain curve is the target" in text and "target, not 0" in text
    assert "40% of the forget samples look never seen" in text and "1/√N" in text
    assert len(at.dataframe) == 1
