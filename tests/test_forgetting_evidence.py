"""The evidence in the report and on the command line: relearn and probe per model, per-sample privacy opt-in,
`privacy RUN.json`, bad input as one line and exit 2."""
from __future__ import annotations

import json

import pytest

from unlearn_core.cli import main as run_cli
from unlearn_core.compare import summarise
from unlearn_core.configs import DATASET_TRAIN_DEFAULTS, default_train_config


@pytest.fixture
def tiny_recipe(monkeypatch, class_prep):
    """The CLI's digits recipe pointed at the conftest's short one: it finds the session's cached models."""
    tiny = class_prep.exp.train
    monkeypatch.setitem(DATASET_TRAIN_DEFAULTS, "digits", {**DATASET_TRAIN_DEFAULTS["digits"], "epochs": tiny.epochs})
    assert default_train_config("digits") == tiny


def test_run_reports_the_evidence_and_privacy_recomputes_it_for_the_saved_run(tmp_path, capsys, tiny_recipe):
    out = tmp_path / "run.json"
    assert run_cli(["run", "--device", "cpu", "--relearn-steps", "30", "--privacy-models", "3",
                    "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    report = json.loads(out.read_text())
    evidence = report["evidence"]
    for name in ("original", "unlearned", "retrain"):
        assert set(evidence[name]["relearn"]) >= {"k", "threshold", "steps_to_threshold", "curve"}
        assert 0.0 <= evidence[name]["probe"]["forget_acc"] <= 1.0
        assert len(evidence[name]["relearn"]["curve"]) == 31
    assert evidence["original"]["relearn"]["steps_to_threshold"] == 0       # it never forgot
    sp = report["sample_privacy"]
    assert sp["models"] == 3 and len(sp["scores"]) == report["forget"]["size"] and 0 <= sp["share"] <= 1
    lines = stdout.splitlines()
    assert any(line.startswith("relearn_steps") for line in lines) and any(line.startswith("probe_acc")
                                                                          for line in lines)
    assert "per-sample privacy (3 retrain models)" in stdout
    rows = summarise([report])
    assert {"relearn_steps", "probe_acc"} <= set(rows[2]["values"]) and "relearn_steps" in rows[1]["values"]

    again = tmp_path / "again.json"
    assert run_cli(["privacy", str(out), "--models", "3", "--out", str(again)]) == 0
    assert json.loads(again.read_text())["sample_privacy"]["scores"] == sp["scores"]    # the same model rebuilt


@pytest.mark.parametrize("argv", [
    ["run", "--privacy-models", "2"],
    ["run", "--relearn-k", "0"],
    ["run", "--mode", "sample", "--forget-count", "10", "--relearn-k", "10"],
    ["privacy", "/no/such/run.json"],
    ["privacy", __file__],
    ["privacy", "x.json", "--models", "1"],
])
def test_bad_input_is_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        raise SystemExit(run_cli(argv))
    assert raised.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1 and "Traceback" not in err
