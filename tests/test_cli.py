"""`python -m unlearn_core run`: every kind of bad input gets one line on stderr and exit code 2, with
nothing written or cached; and a class and a sample run end to end on digits write the report the
issue specifies.

Bad inputs go through `cli.main([...])` in-process (fast); two go through a real `python -m
unlearn_core` subprocess, where a traceback would actually reach the user."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unlearn_core.cli import build_parser, main
from unlearn_core.cli.args import experiment_from_args
from unlearn_core.configs import DATASET_TRAIN_DEFAULTS, UnlearnConfig, default_train_config
from unlearn_core.metrics import METRIC_KEYS

REPO = Path(__file__).resolve().parents[1]
DIGITS_TRAIN_SIZE = 1437     # 80% of scikit-learn's 1,797 digits (data.py's stratified split)


def run_cli(argv) -> int:
    """main() returns the exit code; argparse's own errors arrive as SystemExit."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A cache and an --out target of the test's own, to prove nothing is written."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("UNLEARN_CACHE_DIR", str(cache))
    return tmp_path, cache, tmp_path / "out" / "run.json"


def written(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


BAD_INPUTS = {
    "unknown dataset": (["--dataset", "imagenet"], "unknown dataset 'imagenet'; valid: digits"),
    "unknown model": (["--model", "resnet9"], "unknown model 'resnet9'; valid: cnn"),
    "unknown mode": (["--mode", "both"], "unknown mode 'both'; valid: class, sample"),
    "unknown device": (["--device", "tpu"], "unknown device 'tpu'"),
    "class out of range": (["--forget-class", "10"], "valid: 0..9"),
    "negative class": (["--forget-class", "-1"], "--forget-class"),
    "forget count 0": (["--mode", "sample", "--forget-count", "0"], "--forget-count"),
    "forget the whole training set": (["--mode", "sample", "--forget-count", str(DIGITS_TRAIN_SIZE)],
                                      f"between 1 and {DIGITS_TRAIN_SIZE - 1}"),
    "forget more than the training set": (["--mode", "sample", "--forget-count", "99999"], "forget count"),
    "index out of range": (["--mode", "sample", "--forget-indices", f"3,17,{DIGITS_TRAIN_SIZE}"],
                           f"forget index {DIGITS_TRAIN_SIZE} is out of range; valid: 0..{DIGITS_TRAIN_SIZE - 1}"),
    "negative index": (["--mode", "sample", "--forget-indices", "-4"], "--forget-indices: forget-indices must be whole numbers from 0"),
    "non-numeric index": (["--mode", "sample", "--forget-indices", "3,x"], "comma-separated whole numbers"),
    "every index": (["--mode", "sample", "--forget-indices", ",".join(map(str, range(DIGITS_TRAIN_SIZE)))],
                    "whole training set"),
    "non-numeric lr": (["--lr", "fast"], "--lr"),
    "negative lr": (["--lr", "-0.01"], "--lr"),
    "zero lr": (["--lr", "0"], "--lr"),
    "nan lr": (["--lr", "nan"], "--lr"),
    "infinite tau": (["--tau", "inf"], "--tau"),
    "negative tau": (["--tau", "-0.7"], "--tau"),
    "negative lambda": (["--lambda-ul", "-3"], "--lambda-ul"),
    "both lambdas zero": (["--lambda-ul", "0", "--lambda-ce", "0"], "both 0"),
    "fractional omega": (["--omega", "1.5"], "--omega"),
    "negative omega": (["--omega", "-4"], "--omega"),
    "zero batch size": (["--batch-size", "0"], "--batch-size"),
    "non-numeric rounds": (["--max-rounds", "three"], "--max-rounds"),
    "negative momentum": (["--momentum", "-0.9"], "--momentum"),
    "negative eval cadence": (["--eval-every", "-1"], "--eval-every"),
    "negative seed": (["--seed", "-1"], "--seed"),
    # past a setting's bounds a run can only overflow: refused before anything runs (they used to crash)
    "huge lr": (["--lr", "1e9"], "--lr"),
    "overflowing lr": (["--lr", "1e300"], "--lr"),
    "tiny tau": (["--tau", "1e-9"], "--tau"),
    "huge lambda": (["--lambda-ul", "1e9"], "--lambda-ul"),
    "momentum past 1": (["--momentum", "10"], "--momentum"),
    "seed past 32 bits": (["--seed", "1180591620717411303424"], "--seed"),
    "index past 64 bits": (["--mode", "sample", "--forget-indices", "1000000000000000000000000000000"],
                           "--forget-indices"),
    "out in /proc": (["--out", "/proc/x.json"], "cannot write /proc/x.json"),
    "out folder missing": (["--out", "{missing}/run.json"], "does not exist"),
    "out is a folder": (["--out", "{folder}"], "is a folder"),
}


@pytest.mark.parametrize("args, message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(sandbox, capsys, args, message):
    root, cache, out = sandbox
    args = [a.format(missing=root / "no" / "such" / "folder", folder=root) for a in args]
    if "--out" not in args:
        out.parent.mkdir()
        args += ["--out", str(out)]
    code = run_cli(["run", "--device", "cpu", *args])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert message in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists() and written(root) == [] and not cache.exists()


def test_missing_dataset_files_say_where_and_how_to_fetch(sandbox, capsys):
    root, cache, out = sandbox
    data_dir = root / "datasets"
    data_dir.mkdir()
    assert run_cli(["run", "--dataset", "cifar10", "--data-dir", str(data_dir), "--device", "cpu"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert str(data_dir) in line
    assert f"python -m unlearn_core run --dataset cifar10 --data-dir {data_dir} --download" in line
    assert written(root) == [] and not cache.exists()


@pytest.mark.parametrize("args", [["--lr", "-1"], ["--dataset", "svhn", "--data-dir", "{root}/empty"]],
                         ids=["argparse rejects", "engine rejects"])
def test_a_real_subprocess_shows_no_traceback(tmp_path, args):
    args = [a.format(root=tmp_path) for a in args]
    out = tmp_path / "run.json"
    env = {**os.environ, "UNLEARN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "unlearn_core", "run", "--device", "cpu", *args, "--out", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == ""
    assert written(tmp_path) == []


# `python -m unlearn_core ARGS` in a fresh process, as the shell runs it (runpy is what -m uses); then the
# heavy libraries it imported, as JSON on stdout. The command's own output goes to stderr.
FRESH_DRIVER = """
import json, runpy, sys
sys.argv = ["unlearn_core", *json.loads(sys.argv[1])]
try:
    runpy.run_module("unlearn_core", run_name="__main__", alter_sys=True)
    code = None
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "heavy": sorted(m for m in ("torch", "sklearn", "scipy", "pandas", "ray")
                                               if m in sys.modules)}))
"""
REFUSED = {
    "a 10^9-trial sweep": (["sweep", "--space", "lr=loguniform:1e-3:1e-1", "--samples", "1000000000",
                            "--out", "{root}/sweep.csv"], "the sweep has 1000000000 trials, more than 10000"),
    "a sweep's bad results name": (["sweep", "--space", "lr=0.1", "--out", "{root}/sweep.xlsx"], ".csv or .parquet"),
    "a sweep's unknown scheduler": (["sweep", "--scheduler", "hyperband"], "--scheduler"),
    "a run's negative lr": (["run", "--lr", "-1"], "--lr"),
    "a compare's bad seeds": (["compare", "--seeds", "0,x"], "--seeds"),
    "a missing run file": (["privacy", "{root}/missing.json"], "no such run file"),
}


@pytest.mark.parametrize("args, message", REFUSED.values(), ids=REFUSED.keys())
def test_refused_input_is_refused_before_the_engine_is_imported(tmp_path, args, message):
    """Issue 23: the package resolves its names lazily and the CLI checks its arguments (argparse, the settings,
    the sweep's limits) before a command imports torch, so a refused request in a fresh process is one line and
    exit 2 without torch, scikit-learn, pandas or Ray (a 10^9-trial sweep cost 860 MB and 4 s with them)."""
    argv = [a.format(root=tmp_path) for a in args]
    env = {**os.environ, "UNLEARN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", FRESH_DRIVER, json.dumps(argv)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.splitlines()[-1])
    (line,) = proc.stderr.splitlines()
    assert found["code"] == 2 and line.startswith("error: ") and message in line, (found, proc.stderr)
    assert found["heavy"] == []
    assert written(tmp_path) == []


def experiment(*args):
    return experiment_from_args(build_parser().parse_args(["run", *args]))


def test_flags_reach_the_experiment():
    exp = experiment("--mode", "sample", "--forget-indices", "3, 17,42", "--seed", "7", "--lr", "0.05",
                     "--tau", "0.5", "--omega", "2", "--no-cache", "--data-dir", "/data")
    assert exp.forget.indices == (3, 17, 42) and exp.forget.seed == 7 and exp.data.data_dir == "/data"
    cfg = exp.unlearn_config()
    assert (cfg.lr, cfg.tau, cfg.omega, cfg.seed) == (0.05, 0.5, 2, 7)
    assert exp.use_cache is False and experiment().use_cache is True
    # the dataset's defaults unless --paper-defaults, which gives the paper's values (docs/METHOD.md)
    assert experiment().unlearn_config().lr == 1e-2
    paper = experiment("--paper-defaults").unlearn_config()
    assert (paper.tau, paper.lambda_ul, paper.lambda_ce, paper.omega, paper.lr, paper.momentum) == (
        0.7, 3.0, 1.0, 4, 1e-3, 0.9)
    assert paper == UnlearnConfig(seed=0)



def test_train_epochs_reach_the_retrain_method_and_the_reference():
    """`--train-epochs 10 --method retrain`: the method trains as long as the reference it is set beside."""
    exp = experiment("--dataset", "fashion-mnist", "--mode", "sample", "--train-epochs", "10", "--method", "retrain")
    assert exp.train_config().epochs == 10 and exp.unlearn_config().max_rounds == 10
    assert experiment("--dataset", "fashion-mnist", "--method", "retrain").unlearn_config().max_rounds == 2


@pytest.fixture
def tiny_recipe(monkeypatch, class_prep):
    """The CLI trains with the dataset's recipe; point digits' at the conftest's short one, so the CLI
    finds the session's cached original model instead of training the full recipe."""
    tiny = class_prep.exp.train
    monkeypatch.setitem(DATASET_TRAIN_DEFAULTS, "digits", {**DATASET_TRAIN_DEFAULTS["digits"], "epochs": tiny.epochs})
    assert default_train_config("digits") == tiny


def check_report(report: dict, mode: str) -> None:
    assert report["method"] == "contrastive"
    assert (report["dataset"], report["model"], report["mode"], report["seed"]) == ("digits", "cnn", mode, 0)
    assert isinstance(report["terminated"], bool) and isinstance(report["stop_reason"], str)
    assert isinstance(report["steps"], int) and report["steps"] > 0
    assert report["seconds"] > 0 and report["retrain_seconds"] > 0
    assert "retrain_seconds_source" in report       # says whether retrain was timed now or read from the cache
    not_applicable = {"test_acc"} if mode == "class" else {"remain_test_acc", "forget_test_acc"}
    for name in ("original", "unlearned", "retrain"):
        row = report["metrics"][name]
        assert set(row) == set(METRIC_KEYS) | {"avg_gap"}
        for key in METRIC_KEYS:
            if key in not_applicable:
                assert row[key] is None, (name, key)
            else:
                assert 0.0 <= row[key] <= 1.0, (name, key)
        assert row["avg_gap"] >= 0.0
    assert report["metrics"]["retrain"]["avg_gap"] == 0.0
    history = report["history"]
    assert history[0]["step"] == 0 and history[-1]["step"] == report["steps"]
    assert all(set(entry) >= {"step", "round", "seconds", "losses", "eval", "termination"} for entry in history)
    assert [e["step"] for e in history] == sorted(set(e["step"] for e in history))   # no repeated step
    # Leaving the cluster, in the embedding space, at every evaluated step and for the three models.
    for measures in [e["embedding"] for e in history] + list(report["embedding"].values()):
        assert set(measures) == {"own_class_knn", "centroid_margin"}
        assert 0.0 <= measures["own_class_knn"] <= 1.0 and -2.0 <= measures["centroid_margin"] <= 2.0
    assert report["embedding"]["original"] == history[0]["embedding"]
    assert report["embedding"]["unlearned"] == history[-1]["embedding"]
    assert report["outcome"] in {"terminated", "round cap", "step budget", "diverged", "whole budget"}
    assert report["terminated"] == (report["outcome"] == "terminated")


def run_to_file(sandbox_root: Path, capsys, *args) -> tuple[dict, str]:
    out = sandbox_root / "run.json"
    assert run_cli(["run", "--device", "cpu", *args, "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert [p.name for p in sandbox_root.iterdir()] == ["run.json"]       # no temporary file left
    return json.loads(out.read_text()), stdout


def test_class_run_end_to_end(tmp_path, capsys, tiny_recipe):
    report, stdout = run_to_file(tmp_path, capsys)                      # the defaults: digits, class 5
    check_report(report, "class")
    assert report["terminated"] and report["outcome"] == "terminated"
    unlearned, original = report["metrics"]["unlearned"], report["metrics"]["original"]
    assert unlearned["forget_test_acc"] <= 0.1 and unlearned["forget_train_acc"] <= 0.1
    assert original["forget_test_acc"] > 0.5                            # it did have something to forget
    assert report["metrics"]["retrain"]["forget_train_acc"] == 0.0      # the retrain never saw class 5
    assert report["forget"]["forget_class"] == 5 and report["forget"]["size"] > 100  # every training 5
    table = stdout.splitlines()
    assert any(line.split()[:3] == ["metric", "original", "unlearned"] for line in table)
    assert any(line.startswith("forget_test_acc") for line in table)
    assert not any(line.startswith("test_acc") for line in table)       # not a class-mode metric
    assert "lower = more forgotten" in stdout and "higher = more forgotten" in stdout


def test_sample_run_end_to_end(tmp_path, capsys, tiny_recipe):
    report, stdout = run_to_file(tmp_path, capsys, "--mode", "sample", "--forget-count", "100")
    check_report(report, "sample")
    assert report["forget"]["size"] == 100
    assert report["terminated"]
    final = report["history"][-1]["termination"]
    assert final["fired"] and final["value"] <= final["threshold"]
    assert any(line.startswith("test_acc") for line in stdout.splitlines())
