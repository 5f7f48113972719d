"""Sweeps (unlearn_core/sweep/, `python -m unlearn_core sweep`, the Sweep page).

Fast, without starting Ray: the spec and its Ray Tune search space, bounds from the settings, the trial
count checked before any draw, the trials drawn as Tune draws them, every kind of bad command-line input
(one line on stderr, exit 2, nothing written or trained), the Pareto mask against brute force, the page's
form and its errors in AppTest.

With Ray (`-m ray`): one module-scoped local Ray session and one random sweep on digits (2 draws x 2
seeds, ASHA), shared by the tests of the table, the best trial, the front, a trial reproduced outside Ray,
and the page on the written file.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd
import pytest

from unlearn_core import UnlearnConfig, UserInputError, settings
from unlearn_core.cli import main
from unlearn_core.experiment import run_method
from unlearn_core.metrics import gaps_to_retrain
from unlearn_core.runner import evaluate_small
from unlearn_core.sweep import (MAX_TRIALS, NOT_TERMINATED, SETTINGS, STOPPED_EARLY, TABLE_COLUMNS, TERMINATED,
                                Dimension, SweepOptions, SweepSpec, best_trial, config_summary, eval_gap,
                                finished_trials, init_ray, param_space, pareto_front, pareto_mask, read_table,
                                run_command, run_sweep, search_alg, searchable, trial_configs, write_table)

REPO = Path(__file__).resolve().parents[1]
BASE = UnlearnConfig()


def run_cli(argv) -> int:
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def written(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------------
# The spec and its Ray Tune search space
# ---------------------------------------------------------------------------------------------------

def test_the_searchable_dimensions_are_the_settings_declared_searchable():
    declared = [s.name for s in settings(UnlearnConfig) if s.search]
    assert list(searchable()) == declared and SETTINGS == (*declared, "seed")
    assert {"tau", "lambda_ul", "lambda_ce", "lr", "omega", "batch_size"} <= set(declared)


def test_a_grid_becomes_grid_searches_and_a_random_search_tunes_distributions():
    from ray.tune.search.sample import Categorical, Float, Integer

    grid = param_space(SweepSpec((Dimension("lr", values=(1e-3, 1e-2)), Dimension("omega", values=(2, 4))),
                                 seeds=(0, 1)), BASE)
    assert grid == {"lr": {"grid_search": [1e-3, 1e-2]}, "omega": {"grid_search": [2, 4]},
                    "seed": {"grid_search": [0, 1]}}
    assert param_space(SweepSpec(), replace(BASE, seed=7)) == {"seed": {"grid_search": [7]}}
    spec = SweepSpec((Dimension("lr", low=1e-4, high=1e-1), Dimension("tau", low=0.3, high=1.0, scale="linear"),
                      Dimension("omega", low=1, high=4), Dimension("lambda_ce", values=(1.0, 3.0))), samples=5)
    space = param_space(spec, BASE)
    lr, tau, omega, choice = space["lr"], space["tau"], space["omega"], space["lambda_ce"]
    # The scale is the setting's declaration (lr: log, omega: linear) unless the dimension names one.
    assert isinstance(lr, Float) and (lr.lower, lr.upper) == (1e-4, 1e-1) and type(lr.sampler).__name__ == "_LogUniform"
    assert isinstance(tau, Float) and type(tau.sampler).__name__ == "_Uniform"
    assert isinstance(omega, Integer) and (omega.lower, omega.upper) == (1, 5)      # Tune excludes upper
    assert isinstance(choice, Categorical) and choice.categories == [1.0, 3.0]
    generator = search_alg(spec)
    assert type(generator).__name__ == "BasicVariantGenerator" and generator._constant_grid_search


def test_grid_trials_are_the_product_of_the_lists_and_the_seeds():
    spec = SweepSpec((Dimension("lr", values=(1e-3, 1e-2)), Dimension("tau", values=(0.5, 0.7, 0.9))), seeds=(3, 4))
    configs = trial_configs(spec, BASE)
    assert len(configs) == spec.trial_count() == 12
    assert {(c["lr"], c["tau"], c["seed"]) for c in configs} == {
        (lr, tau, s) for lr in (1e-3, 1e-2) for tau in (0.5, 0.7, 0.9) for s in (3, 4)}
    assert {c["seed"] for c in trial_configs(SweepSpec((Dimension("lr", values=(0.1,)),)), replace(BASE, seed=7))} == {7}


def test_random_draws_are_seeded_in_bounds_and_shared_by_the_seeds_of_a_configuration():
    dims = (Dimension("lr", low=1e-4, high=1e-1), Dimension("omega", low=1, high=4),
            Dimension("tau", values=(0.5, 0.7)))
    spec = SweepSpec(dims, seeds=(0, 1, 2), samples=40, sample_seed=5)
    first = trial_configs(spec, BASE)
    assert first == trial_configs(spec, BASE) and first != trial_configs(replace(spec, sample_seed=6), BASE)
    lrs = np.array([c["lr"] for c in first])
    assert ((lrs >= 1e-4) & (lrs <= 1e-1)).all()
    assert 0.25 < np.mean(np.log10(lrs) < -2.5) < 0.75                 # log-uniform: half below the middle
    omegas = {c["omega"] for c in first}
    assert all(type(o) is int for o in omegas) and omegas == {1, 2, 3, 4}   # both ends drawn
    # constant_grid_search: one draw, then the seed grid over it.
    for i in range(0, len(first), 3):
        group = first[i:i + 3]
        assert sorted(c["seed"] for c in group) == [0, 1, 2]
        assert len({json.dumps({k: v for k, v in c.items() if k != "seed"}, sort_keys=True) for c in group}) == 1


OUT_OF_BOUNDS = {
    "lr not above 0": (Dimension("lr", values=(0.01, 0.0)), "lr must be a number > 0 and <= 10, got 0.0"),
    "tau too large": (Dimension("tau", values=(200.0,)), "tau must be a number >= 0.01 and <= 100"),
    "omega range below 1": (Dimension("omega", low=0, high=4), "omega must be a whole number >= 1 and <= 64"),
    "fractional batch": (Dimension("batch_size", values=(1.5,)), "batch-size must be a whole number"),
    "log range from 0": (Dimension("lambda_ce", low=0.0, high=1.0, scale="log"), "log-scale range needs LOW > 0"),
    "reversed range": (Dimension("lr", low=0.1, high=0.01), "LOW 0.1 > HIGH 0.01"),
    "not searchable": (Dimension("probe_every", values=(1,)), "cannot search 'probe_every'"),
}


@pytest.mark.parametrize("dim, message", OUT_OF_BOUNDS.values(), ids=OUT_OF_BOUNDS.keys())
def test_values_outside_a_settings_bounds_are_one_line_errors(dim, message):
    with pytest.raises(UserInputError) as err:
        SweepSpec((dim,), samples=3).check()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_trial_count_is_checked_before_anything_is_drawn(monkeypatch):
    import ray.tune.search.variant_generator as vg

    monkeypatch.setattr(vg, "generate_variants", lambda *a, **k: pytest.fail("drew before counting"))
    thousand = tuple(round(0.01 * (i + 1), 6) for i in range(1000))          # 0.01 .. 10: in every bound
    cube = SweepSpec(tuple(Dimension(n, values=thousand) for n in ("lr", "tau", "lambda_ce")))
    for spec, count in ((cube, 10 ** 9), (SweepSpec((Dimension("lr", low=1e-3, high=1e-1),), samples=10 ** 9), 10 ** 9),
                        (SweepSpec((Dimension("lr", values=(0.1,)),), seeds=tuple(range(2)), samples=MAX_TRIALS), 2 * MAX_TRIALS)):
        with pytest.raises(UserInputError, match=f"the sweep has {count} trials, more than {MAX_TRIALS}"):
            trial_configs(spec, BASE)


def test_a_combination_the_method_refuses_is_named_with_its_trial():
    spec = SweepSpec((Dimension("lambda_ce", values=(1.0, 0.0)),))
    with pytest.raises(UserInputError, match=r"trial 1 \(lambda_ce=0 seed=0\): lambda_ul and lambda_ce are both 0"):
        trial_configs(spec, replace(BASE, lambda_ul=0.0))


def test_pareto_mask_matches_brute_force_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(20):
        values = rng.integers(0, 4, size=(25, 3)).astype(float)        # small integers: many ties
        brute = [not any((values[j] <= values[i]).all() and (values[j] < values[i]).any()
                         for j in range(25) if j != i) for i in range(25)]
        assert (pareto_mask(values) == np.array(brute)).all()


# ---------------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------------

def test_a_toml_and_a_json_file_mean_the_same_and_the_command_line_wins(tmp_path):
    from unlearn_core.cli.sweep import load_spec_file, merge, parse_space

    toml = tmp_path / "sweep.toml"
    toml.write_text('samples = 6\nsample_seed = 2\n[space]\nlr = {loguniform = [1e-3, 1e-1]}\n'
                    'tau = [0.5, 0.7]\nseed = [0, 1]\n')
    js = tmp_path / "sweep.json"
    js.write_text(json.dumps({"samples": 6, "sample_seed": 2,
                              "space": {"lr": "loguniform:1e-3:1e-1", "tau": [0.5, 0.7], "seed": [0, 1]}}))
    from_toml = load_spec_file(toml)
    assert from_toml == load_spec_file(js)
    assert from_toml == SweepSpec((Dimension("lr", low=1e-3, high=1e-1, scale="log"),
                                   Dimension("tau", values=(0.5, 0.7))), seeds=(0, 1), samples=6, sample_seed=2)
    overridden = merge(from_toml, parse_space(["tau=0.9", "omega=2:8"]))
    assert overridden.dimension("tau") == Dimension("tau", values=(0.9,))
    assert overridden.dimension("omega") == Dimension("omega", low=2, high=8, scale="linear")   # omega's declared scale
    assert len(trial_configs(from_toml, BASE)) == 6 * 2


BAD_SWEEPS = {
    "unknown setting": (["--space", "gamma=1,2"], "cannot search 'gamma'; searchable: tau"),
    "negative lr": (["--space", "lr=0.01,-1"], "lr must be a number > 0"),
    "not a number": (["--space", "tau=warm"], "tau expects a number, got 'warm'"),
    "fractional omega": (["--space", "omega=1.5"], "omega expects a whole number"),
    "range in a grid": (["--space", "lr=loguniform:1e-4:1e-1"], "add --samples N"),
    "reversed range": (["--space", "lr=uniform:0.1:0.01", "--samples", "2"], "LOW 0.1 > HIGH 0.01"),
    "log range from 0": (["--space", "lambda_ce=loguniform:0:1", "--samples", "2"], "needs LOW > 0"),
    "unknown distribution": (["--space", "lr=normal:0:1"], "uniform:LOW:HIGH"),
    "seed range": (["--space", "seed=uniform:0:4", "--samples", "2"], "seed takes a list"),
    "negative seed": (["--space", "seed=0,-1"], "seed must be a whole number >= 0"),
    "no values": (["--space", "lr="], "expected NAME=VALUES"),
    "named twice": (["--space", "lr=0.1", "--space", "lr=0.2"], "names lr twice"),
    "fixed and searched": (["--lr", "0.01", "--space", "lr=0.1,0.2"], "lr is both fixed"),
    "empty objective": (["--lambda-ul", "0", "--space", "lambda_ce=0,1"], "trial 0 (lambda_ce=0 seed=0): "
                                                                          "lambda_ul and lambda_ce are both 0"),
    "too many trials": (["--space", "lr=" + ",".join(f"0.{i:03d}1" for i in range(101)),
                         "--space", "tau=" + ",".join(f"1.{i:03d}1" for i in range(101))], "more than 10000"),
    "a billion samples, dry run": (["--space", "lr=1e-3:1e-1", "--samples", "1000000000", "--dry-run"],
                                   "the sweep has 1000000000 trials"),
    "zero samples": (["--space", "lr=0.1", "--samples", "0"], "--samples"),
    "unknown scheduler": (["--scheduler", "hyperband"], "--scheduler"),
    "bad out suffix": (["--out", "{root}/results.xlsx"], "use a .csv or .parquet name"),
    "out folder missing": (["--out", "{root}/no/such/results.csv"], "does not exist"),
    "empty config": (["--config", ""], "--config is empty"),
    "config missing": (["--config", "{root}/nope.toml"], "not found"),
    "config syntax": (["--config", "{root}/broken.toml"], "does not parse"),
    "config unknown key": (["--config", "{root}/extra.json"], "unknown key 'scheduler'"),
    "config range in grid": (["--config", "{root}/ranged.toml"], "lr is a range"),
    "negative gpus": (["--space", "lr=0.1", "--gpus-per-trial", "-1"], "--gpus-per-trial"),
}


@pytest.mark.parametrize("args, message", BAD_SWEEPS.values(), ids=BAD_SWEEPS.keys())
def test_bad_sweep_input_is_one_line_and_exit_2_with_nothing_written(tmp_path, monkeypatch, capsys, args, message):
    cache = tmp_path / "cache"
    monkeypatch.setenv("UNLEARN_CACHE_DIR", str(cache))
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "broken.toml").write_text("[space\nlr = [0.1]\n")
    (configs / "extra.json").write_text('{"space": {"lr": [0.1]}, "scheduler": "asha"}')
    (configs / "ranged.toml").write_text("[space]\nlr = {uniform = [0.01, 0.1]}\n")
    args = [a.format(root=configs) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "results.csv")]
    code = run_cli(["sweep", "--device", "cpu", *args])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert message in lines[0], lines[0]
    assert captured.out == ""
    assert written(tmp_path) == sorted(f"configs/{p.name}" for p in configs.iterdir()) and not cache.exists()


def test_without_ray_the_command_says_how_to_install_it_before_training(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    monkeypatch.setenv("UNLEARN_CACHE_DIR", str(cache))
    monkeypatch.setitem(sys.modules, "ray", None)          # `import ray` raises ImportError
    code = run_cli(["sweep", "--device", "cpu", "--space", "lr=0.01,0.02", "--out", str(tmp_path / "r.csv")])
    (line,) = capsys.readouterr().err.splitlines()
    assert code == 2 and "pip install -r requirements-sweep.txt" in line
    assert written(tmp_path) == [] and not cache.exists()


def test_a_request_past_the_trial_limit_is_refused_before_ray_is_imported(tmp_path, monkeypatch, capsys):
    """Issue 23: Ray's import costs about 1 GB and seconds; a refused request must not pay it. With `ray`
    unimportable (sys.modules), the refusal is still the trial limit's, not "Ray is not installed"."""
    monkeypatch.setitem(sys.modules, "ray", None)
    code = run_cli(["sweep", "--device", "cpu", "--space", "lr=0.01", "--samples", "1000000000",
                    "--out", str(tmp_path / "r.csv")])
    (line,) = capsys.readouterr().err.splitlines()
    assert code == 2 and f"the sweep has 1000000000 trials, more than {MAX_TRIALS}" in line, line
    # The page: the same refusal (its own, smaller limit) with Ray unimportable.
    import app_ui.sweep_page as sweep_page
    monkeypatch.setattr(sweep_page, "ray_available", lambda: True)
    at = open_sweep_page(monkeypatch)
    at.text_input(key="sweep.space.lr").set_value(", ".join(f"0.0{i}" for i in range(1, 10))).run()
    at.text_input(key="sweep.space.tau").set_value("0.5, 0.6, 0.7, 0.8, 0.9, 1.0").run()
    assert not at.exception and at.error[0].value.startswith(f"108 trials: this page runs at most {sweep_page.PAGE_MAX_TRIALS}")


def test_dry_run_in_a_real_subprocess_lists_the_trials_without_training(tmp_path):
    env = {**os.environ, "UNLEARN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "unlearn_core", "sweep", "--space", "lr=0.01,0.03",
                           "--space", "seed=0,1", "--dry-run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("4 trials (grid), base: tau=0.7")
    assert sorted(lines[1:]) == ["  trial 0: lr=0.01 seed=0", "  trial 1: lr=0.03 seed=0",
                                 "  trial 2: lr=0.01 seed=1", "  trial 3: lr=0.03 seed=1"]
    assert written(tmp_path) == []


# ---------------------------------------------------------------------------------------------------
# The page, without a sweep (AppTest)
# ---------------------------------------------------------------------------------------------------

def open_sweep_page(monkeypatch):
    from app_testing import TINY_EPOCHS, open_page

    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)    # the app then shares class_prep's cached models
    return open_page("pages/sweep.py")


def test_page_form_builds_a_checked_spec_from_the_settings_widgets(monkeypatch):
    at = open_sweep_page(monkeypatch)
    assert not at.exception
    lr = at.text_input(key="sweep.space.lr")
    lr_setting = searchable()["lr"]
    assert lr.label == lr_setting.label and lr_setting.help_text() in lr.help
    lr.set_value("1e-2, 3e-2").run()
    at.text_input(key="sweep.seeds").set_value("0").run()
    assert not at.exception and not at.error
    assert [b.label for b in at.button if b.key == "sweep.launch"] == ["Launch 2 trials on this machine"]
    at.text_input(key="sweep.space.lr").set_value("1e-2, -1").run()
    assert not at.exception and at.error[0].value == "lr must be a number > 0 and <= 10, got -1.0"
    at.text_input(key="sweep.space.lr").set_value("1e-3:1e-1").run()       # a range needs random samples
    assert "add --samples N" in at.error[0].value
    at.number_input(key="sweep.samples").set_value(3).run()
    assert not at.error and [b.label for b in at.button if b.key == "sweep.launch"] == ["Launch 3 trials on this machine"]


def test_page_says_what_is_wrong_with_a_bad_file(tmp_path, monkeypatch):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    at = open_sweep_page(monkeypatch)
    at.text_input(key="sweep.path").set_value(str(other)).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"{other} is not a sweep results file: missing column 'kind'"]
    at.text_input(key="sweep.path").set_value(str(tmp_path / "missing.csv")).run()
    assert not at.exception and "no such file" in at.error[0].value


def test_page_without_ray_says_how_to_enable_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.tune", None)
    at = open_sweep_page(monkeypatch)
    assert not at.exception
    assert any("pip install -r requirements-sweep.txt" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "sweep.launch"]


def test_the_table_reads_each_trials_status_from_tunes_frame():
    """Finished (its outcome), cut by ASHA (no final report), failed (an error): the frame's last reports."""
    from types import SimpleNamespace

    from unlearn_core import Experiment
    from unlearn_core.sweep import results_table

    metrics = {"forget_train_acc": 0.0, "forget_test_acc": 0.0, "remain_train_acc": 1.0, "remain_test_acc": 0.9,
               "mia_efficacy": 1.0}
    ref = SimpleNamespace(original_metrics={**metrics, "forget_train_acc": 1.0}, retrain_metrics=metrics,
                          retrain=SimpleNamespace(seconds=4.0))
    frame = pd.DataFrame([
        {"trial_id": "x_00002", "config/lr": 0.3, "config/seed": 0, "error": "ValueError: boom"},
        {"trial_id": "x_00000", "config/lr": 0.1, "config/seed": 0, "step": 12, "final": True, "outcome": "terminated",
         "seconds": 2.0, "speedup": 2.0, **metrics, "avg_gap": 0.0},
        {"trial_id": "x_00001", "config/lr": 0.2, "config/seed": 0, "step": 8, "final": False, "seconds": 1.0,
         "eval_gap": 0.4}])
    table = results_table(frame, Experiment(), {0: ref}, 9.0, forget_size=100)
    assert list(table.columns) == list(TABLE_COLUMNS)
    t = table[table["kind"] == "trial"]
    assert list(t["trial"]) == [0, 1, 2] and list(t["lr"]) == [0.1, 0.2, 0.3]      # launch order: trial ids
    assert list(t["status"]) == [TERMINATED, STOPPED_EARLY, "error"] and list(t["terminated"]) == [True, False, False]
    assert math.isnan(t.iloc[1]["avg_gap"]) and t.iloc[2]["error"] == "ValueError: boom"
    assert list(table["kind"][3:]) == ["original", "retrain"] and table["seconds"].iloc[3] == 9.0
    assert str(t["omega"].dtype) == "Int64"                # whole numbers stay whole in the CSV


# ---------------------------------------------------------------------------------------------------
# One real sweep on local Ray
# ---------------------------------------------------------------------------------------------------

# 2 random draws (lr from a list, tau from a range) x 2 seeds = 4 trials, ASHA, on digits class 5.
SPEC = SweepSpec((Dimension("lr", values=(1e-2, 3e-2)), Dimension("tau", low=0.5, high=1.0)), seeds=(0, 1),
                 samples=2, sample_seed=3)


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray for the module (2 CPUs), in a short temporary folder: Ray's socket paths must fit in
    107 bytes, which a pytest tmp_path does not leave room for."""
    import shutil
    import tempfile

    import ray

    ray_tmp = tempfile.mkdtemp(prefix="ray-")
    old = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = ray_tmp
    try:
        assert init_ray(num_cpus=2)
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)
        os.environ.pop("RAY_TMPDIR") if old is None else os.environ.update(RAY_TMPDIR=old)


@pytest.fixture(scope="module")
def ray_sweep(ray_session, class_prep, tmp_path_factory):
    root = tmp_path_factory.mktemp("ray-sweep")
    events = []
    table = run_sweep(class_prep.exp, SPEC, SweepOptions(storage=str(root / "tune")), on_event=events.append)
    write_table(table, root / "sweep.csv")
    return table, events, root


def seeded(prep, seed):
    from unlearn_core import make_split, reference

    exp = replace(prep.exp, forget=replace(prep.exp.forget, seed=seed))
    prep = replace(prep, exp=exp, split=make_split(prep.data, exp.forget))
    return prep, reference(prep)


@pytest.mark.ray
def test_the_sweep_runs_the_trials_the_dry_run_lists(ray_sweep, ray_session, class_prep):
    table, events, root = ray_sweep
    t = table[table["kind"] == "trial"]
    listed = trial_configs(SPEC, class_prep.exp.unlearn_config())
    assert list(t["trial"]) == [0, 1, 2, 3]
    for (_, row), config in zip(t.iterrows(), listed):
        assert (row["lr"], row["seed"]) == (config["lr"], config["seed"]) and row["tau"] == pytest.approx(config["tau"])
    assert t.groupby("tau")["seed"].apply(sorted).tolist() == [[0, 1], [0, 1]]     # each draw runs on both seeds
    assert set(t["status"]) <= {TERMINATED, NOT_TERMINATED, STOPPED_EARLY}, t["error"].tolist()
    assert len(finished_trials(table)) >= 1                   # the first trial at a rung is never cut
    assert ray_session.is_initialized()                      # a sweep leaves a Ray it did not start running
    assert (root / "tune" / "unlearn-sweep").is_dir()        # --storage keeps Tune's experiment folder
    start = next(e for e in events if e["event"] == "start")
    assert start["trials"] == 4 and start["gpus_per_trial"] == 0
    assert sorted(e["trial"] for e in events if e["event"] == "trial_complete") == [0, 1, 2, 3]


@pytest.mark.ray
def test_the_table_has_every_column_and_avg_gaps_against_its_seeds_retrain(ray_sweep):
    table, _, root = ray_sweep
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert list(table["kind"]) == ["trial"] * 4 + ["original", "retrain"] * 2
    for _, row in finished_trials(table).iterrows():
        retrain = table[(table["kind"] == "retrain") & (table["seed"] == row["seed"])].iloc[0]
        assert row["avg_gap"] == pytest.approx(gaps_to_retrain(row.to_dict(), retrain.to_dict(), "class")["avg_gap"])
        assert row["speedup"] == pytest.approx(retrain["seconds"] / row["seconds"])
        assert row["terminated"] == (row["outcome"] == "terminated") == (row["status"] == TERMINATED)
    for suffix in ("csv", "parquet"):
        path = write_table(table, root / f"again.{suffix}")
        back = read_table(path)
        assert list(back.columns) == list(TABLE_COLUMNS)
        pd.testing.assert_frame_equal(back[["trial", "lr", "omega", "avg_gap", "seconds"]],
                                      table[["trial", "lr", "omega", "avg_gap", "seconds"]], check_dtype=False)
    assert not [p for p in written(root) if p.endswith(".tmp")]         # atomic writes leave nothing behind


@pytest.mark.ray
def test_trials_start_from_the_shared_original_and_report_evaluated_steps(ray_sweep, class_prep):
    table, events, _ = ray_sweep
    prep, ref = seeded(class_prep, 0)
    original_gap = eval_gap(evaluate_small(prep.original.model, prep.data, prep.split, prep.device), ref.retrain_eval)
    every = class_prep.exp.unlearn_config().eval_every
    for _, row in table[(table["kind"] == "trial") & (table["seed"] == 0)].iterrows():
        results = [e for e in events if e["event"] == "trial_result" and e["trial"] == row["trial"]]
        assert results[0]["step"] == 0 and results[0]["eval_gap"] == pytest.approx(original_gap)
        steps = [r["step"] for r in results if not r["final"]]
        assert steps == list(range(0, every * len(steps), every))
        assert row["steps"] == results[-1]["step"] and results[-1]["final"] == (row["status"] != STOPPED_EARLY)


@pytest.mark.ray
def test_a_ray_trial_matches_the_same_run_outside_ray(ray_sweep, class_prep):
    """The trial used its settings, the shared original and its seed's split: run here with one thread
    (as the trial did), the engine's run-and-report path takes the same steps to the same metrics."""
    import torch

    table, _, _ = ray_sweep
    row = finished_trials(table).iloc[0]
    prep, ref = seeded(class_prep, int(row["seed"]))
    cfg = replace(prep.exp.unlearn_config(), lr=float(row["lr"]), tau=float(row["tau"]), seed=int(row["seed"]))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        report = run_method(prep, ref, cfg=cfg).report
    finally:
        torch.set_num_threads(threads)
    assert report["steps"] == row["steps"] and report["outcome"] == row["outcome"]
    for key in ("forget_train_acc", "forget_test_acc", "remain_test_acc", "avg_gap"):
        assert report["metrics"]["unlearned"][key] == pytest.approx(row[key], abs=1e-6), key


@pytest.mark.ray
def test_best_trial_front_summary_and_reproduce_command(ray_sweep, class_prep):
    from unlearn_core.cli import build_parser
    from unlearn_core.cli.args import experiment_from_args

    table, _, _ = ray_sweep
    best, note = best_trial(table)
    done = finished_trials(table)
    pool = done[done["status"] == TERMINATED] if (done["status"] == TERMINATED).any() else done
    assert best["avg_gap"] == pool["avg_gap"].min() and ("terminated" in note) == (pool is not done)
    front = pareto_front(table)
    assert len(front) == len(done) and front["on_front"].any()
    values = front[["forget_gap", "utility_loss", "seconds"]].to_numpy(float)
    assert (front["on_front"].to_numpy() == pareto_mask(values)).all()
    summary = config_summary(table)
    assert len(summary) == 2 and set(summary["seeds"]) == {2}
    argv = run_command(best).split()[3:]
    exp = experiment_from_args(build_parser().parse_args(argv))
    assert exp.unlearn_config() == replace(class_prep.exp.unlearn_config(), lr=best["lr"], tau=best["tau"],
                                           seed=int(best["seed"]))


@pytest.mark.ray
def test_the_page_draws_the_written_table_with_plotly_express(ray_sweep, monkeypatch):
    table, _, root = ray_sweep
    at = open_sweep_page(monkeypatch)
    at.text_input(key="sweep.path").set_value(str(root / "sweep.csv")).run()
    assert not at.exception and not at.error
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert [c["data"][0]["type"] for c in charts] == ["parcoords", "scatter"]
    assert {"on the Pareto front", "retrain", "original"} <= {trace.get("name") for trace in charts[1]["data"]}
    best, _ = best_trial(table)
    assert any(f"Best trial: {int(best['trial'])}" in m.value for m in at.markdown)
    view = at.dataframe[0].value
    assert list(view["trial"]) == [0, 1, 2, 3]
    urls = {s.name: s.url for s in settings(UnlearnConfig)}
    for (_, row), link in zip(table[table["kind"] == "trial"].iterrows(), view["open"]):
        parts = urlsplit(link)
        query = dict(parse_qsl(parts.query))
        assert parts.path == "unlearn" and float(query[urls["lr"]]) == row["lr"] and query["seed"] == str(row["seed"])


@pytest.mark.ray
def test_the_page_runs_a_sweep_in_the_background_and_shows_its_table(ray_sweep, monkeypatch):
    at = open_sweep_page(monkeypatch)
    at.text_input(key="sweep.space.lr").set_value("1e-2").run()
    at.text_input(key="sweep.seeds").set_value("0").run()
    at.selectbox(key="sweep.scheduler").set_value("fifo").run()
    at.button(key="sweep.launch").click().run()
    assert not at.exception
    import time

    from app_ui.sweep_page import JOB_KEY as JOB

    deadline = time.monotonic() + 120
    while not at.session_state[JOB].done and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception and not at.error, at.session_state[JOB].failure
    assert len(at.get("plotly_chart")) == 2 and list(at.dataframe[0].value["trial"]) == [0]
