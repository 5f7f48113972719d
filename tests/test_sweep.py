"""Sweeps (unlearn_core/sweep.py, `python -m unlearn_core sweep`, the Sweep page).

Fast, without Ray: the search space from the command line and from TOML/JSON files, the trials it
expands to, every kind of bad input (one line on stderr, exit code 2, nothing written or trained), the
Pareto front against a brute-force check, and the page in AppTest on a results table built from real
in-process unlearning runs (the same report function the Ray trainable uses).

With Ray (needs requirements-sweep.txt): one 2-trial sweep on digits on local Ray, shared by the tests
of the module-scoped fixture: the table, the shared original, Avg. Gap against the retrain row, a
trial reproduced outside Ray, the progress events and the page on the written file.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd
import pytest
import torch

from unlearn_core import UserInputError, unlearn
from unlearn_core.cli import HYPERPARAMETERS, main
from unlearn_core.metrics import METRIC_KEYS, gaps_to_retrain
from unlearn_core.runner import evaluate_small
from unlearn_core.sweep import (ERROR, NOT_TERMINATED, SEARCHABLE, STOPPED_EARLY, TABLE_COLUMNS, TERMINATED, Choice,
                                ProgressLog, Range, SearchSpec, SweepOptions, best_trial, eval_gap, finished_trials,
                                format_summary, make_spec, pareto_front, pareto_mask, parse_space,
                                prepare_references, read_progress, read_table, results_table, run_arguments, run_sweep,
                                step_report, trial_configs, write_table)

REPO = Path(__file__).resolve().parents[1]


def run_cli(argv) -> int:
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def written(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------------
# The search space
# ---------------------------------------------------------------------------------------------------

def test_command_line_dimensions_parse_to_typed_values():
    dims = dict(parse_space(["lr=1e-3,1e-2,1e-3", "omega=2,4", "tau=uniform:0.3:1.0",
                             "lambda-ce=loguniform:0.5:4", "seed=0,1"]))
    assert dims["lr"] == Choice((1e-3, 1e-2))                       # repeats dropped, order kept
    assert dims["omega"] == Choice((2, 4)) and all(type(v) is int for v in dims["omega"].values)
    assert dims["tau"] == Range("uniform", 0.3, 1.0)
    assert dims["lambda_ce"] == Range("loguniform", 0.5, 4.0)      # dashes as in the flags
    assert dims["seed"] == Choice((0, 1))


def test_grid_is_the_product_with_seeds_crossed_last(class_prep):
    base = class_prep.exp.unlearn_config()
    spec = SearchSpec(parse_space(["lr=1e-3,1e-2", "tau=0.5,0.7,0.9", "seed=3,4"]))
    configs = trial_configs(spec, base)
    assert len(configs) == 2 * 3 * 2
    assert configs[:3] == [{"lr": 1e-3, "tau": 0.5, "seed": 3}, {"lr": 1e-3, "tau": 0.5, "seed": 4},
                           {"lr": 1e-3, "tau": 0.7, "seed": 3}]
    assert {(c["lr"], c["tau"], c["seed"]) for c in configs} == {
        (lr, tau, s) for lr in (1e-3, 1e-2) for tau in (0.5, 0.7, 0.9) for s in (3, 4)}
    # Without a seed dimension every trial runs with the experiment's seed.
    assert {c["seed"] for c in trial_configs(SearchSpec(parse_space(["lr=1e-3,1e-2"])), replace(base, seed=7))} == {7}


def test_random_search_is_seeded_in_range_and_shares_draws_across_seeds(class_prep):
    base = class_prep.exp.unlearn_config()
    dims = parse_space(["lr=loguniform:1e-4:1e-1", "omega=uniform:1:4", "tau=0.5,0.7", "seed=0,1,2"])
    first = trial_configs(SearchSpec(dims, samples=40, sample_seed=5), base)
    assert first == trial_configs(SearchSpec(dims, samples=40, sample_seed=5), base)
    assert first != trial_configs(SearchSpec(dims, samples=40, sample_seed=6), base)
    lrs = np.array([c["lr"] for c in first])
    assert ((lrs >= 1e-4) & (lrs <= 1e-1)).all()
    # Log-uniform: about as many draws below 1e-2.5 as above it (40 draws, 3 seeds each).
    assert 0.25 < np.mean(np.log10(lrs) < -2.5) < 0.75
    assert all(type(c["omega"]) is int and 1 <= c["omega"] <= 4 for c in first)
    # Each drawn configuration runs once per seed, with the same values.
    for i in range(0, len(first), 3):
        group = first[i:i + 3]
        assert [c["seed"] for c in group] == [0, 1, 2]
        assert len({json.dumps({k: v for k, v in c.items() if k != "seed"}, sort_keys=True) for c in group}) == 1


def test_a_toml_and_a_json_file_mean_the_same_and_the_command_line_wins(tmp_path, class_prep):
    toml = tmp_path / "sweep.toml"
    toml.write_text('samples = 6\nsample_seed = 2\n[space]\nlr = {loguniform = [1e-3, 1e-1]}\n'
                    'tau = [0.5, 0.7]\nseed = [0, 1]\n')
    js = tmp_path / "sweep.json"
    js.write_text(json.dumps({"samples": 6, "sample_seed": 2,
                              "space": {"lr": "loguniform:1e-3:1e-1", "tau": [0.5, 0.7], "seed": [0, 1]}}))
    from_toml, from_json = make_spec(str(toml), [], None, None), make_spec(str(js), [], None, None)
    assert from_toml == from_json and from_toml.samples == 6 and from_toml.sample_seed == 2
    overridden = make_spec(str(toml), ["tau=0.9"], 3, None)
    assert overridden.dimension("tau") == Choice((0.9,)) and overridden.samples == 3
    assert overridden.dimension("lr") == from_toml.dimension("lr")
    base = class_prep.exp.unlearn_config()
    assert len(trial_configs(from_toml, base)) == 6 * 2


BAD_SWEEPS = {
    "unknown setting": (["--space", "gamma=1,2"], "cannot search 'gamma'; searchable: tau"),
    "negative lr": (["--space", "lr=0.01,-1"], "lr must be a number > 0"),
    "not a number": (["--space", "tau=warm"], "tau: expected a number, got 'warm'"),
    "fractional omega": (["--space", "omega=1.5"], "omega: expected an integer"),
    "range in a grid": (["--space", "lr=loguniform:1e-4:1e-1"], "add --samples N"),
    "reversed range": (["--space", "lr=uniform:0.1:0.01", "--samples", "2"], "LOW 0.1 > HIGH 0.01"),
    "log range from 0": (["--space", "lambda_ce=loguniform:0:1", "--samples", "2"], "loguniform needs LOW > 0"),
    "unknown distribution": (["--space", "lr=normal:0:1"], "uniform:LOW:HIGH"),
    "seed range": (["--space", "seed=uniform:0:4", "--samples", "2"], "seed takes a list"),
    "negative seed": (["--space", "seed=0,-1"], "seed must be an integer >= 0"),
    "no values": (["--space", "lr="], "expected NAME=VALUES"),
    "named twice": (["--space", "lr=0.1", "--space", "lr=0.2"], "names lr twice"),
    "fixed and searched": (["--lr", "0.01", "--space", "lr=0.1,0.2"], "lr is both fixed"),
    "empty objective": (["--lambda-ul", "0", "--space", "lambda_ce=0,1"], "trial 0 (lambda_ce=0 seed=0): "
                                                                          "lambda_ul and lambda_ce are both 0"),
    "too many trials": (["--space", "lr=" + ",".join(f"0.{i:03d}1" for i in range(101)),
                         "--space", "tau=" + ",".join(f"0.{i:03d}1" for i in range(101))], "more than 10000"),
    "zero samples": (["--space", "lr=0.1", "--samples", "0"], "--samples"),
    "unknown scheduler": (["--scheduler", "hyperband"], "--scheduler"),
    "bad out suffix": (["--out", "{root}/results.xlsx"], "use a .csv or .parquet name"),
    "out folder missing": (["--out", "{root}/no/such/results.csv"], "does not exist"),
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
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert message in lines[0], lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    assert written(tmp_path) == sorted(f"configs/{p.name}" for p in configs.iterdir()) and not cache.exists()


def test_without_ray_the_command_says_how_to_install_it_before_training(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    monkeypatch.setenv("UNLEARN_CACHE_DIR", str(cache))
    monkeypatch.setitem(sys.modules, "ray", None)          # `import ray` raises ImportError
    code = run_cli(["sweep", "--device", "cpu", "--space", "lr=0.01,0.02", "--out", str(tmp_path / "r.csv")])
    (line,) = capsys.readouterr().err.splitlines()
    assert code == 2 and "pip install -r requirements-sweep.txt" in line
    assert written(tmp_path) == [] and not cache.exists()


def test_dry_run_in_a_real_subprocess_lists_the_trials_without_ray_or_training(tmp_path):
    env = {**os.environ, "UNLEARN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "unlearn_core", "sweep", "--space", "lr=0.01,0.03",
                           "--space", "seed=0,1", "--dry-run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("4 trials (grid)")
    assert lines[1:] == ["  trial 0: lr=0.01 seed=0", "  trial 1: lr=0.01 seed=1",
                         "  trial 2: lr=0.03 seed=0", "  trial 3: lr=0.03 seed=1"]
    assert written(tmp_path) == []


# ---------------------------------------------------------------------------------------------------
# The table, the front, the best trial, on real runs (in-process, no Ray)
# ---------------------------------------------------------------------------------------------------

def pareto_brute_force(values: np.ndarray) -> np.ndarray:
    n = len(values)
    return np.array([not any(all(values[j] <= values[i]) and any(values[j] < values[i])
                             for j in range(n) if j != i) for i in range(n)])


def test_pareto_mask_matches_brute_force_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(20):
        values = rng.integers(0, 4, size=(25, 3)).astype(float)     # small integers: many ties
        assert (pareto_mask(values) == pareto_brute_force(values)).all()


def run_in_process(prep, references, settings: dict) -> tuple[dict, dict, None]:
    """What a Ray trial reports last, computed here by the same functions, in this process."""
    reference = references[settings["seed"]]
    cfg = replace(prep.exp.unlearn_config(), **{k: v for k, v in settings.items() if k != "trial"})
    last = None
    for step in unlearn(prep.fresh_model(), prep.data, reference.split, cfg, device=prep.device):
        if step.eval is not None:
            last = step_report(step, reference, prep.exp.forget.mode)
    return settings, last, None


@pytest.fixture(scope="module")
def references(class_prep):
    """What the sweep's driver prepares for seed 0: split, retrain reference and its metrics."""
    return prepare_references(class_prep.exp, [0])


@pytest.fixture(scope="module")
def local_table(references, tmp_path_factory):
    """A results file from three real unlearning runs on digits (two learning rates; one run cut short,
    as ASHA would cut it): the page and the table functions are tested on it without Ray."""
    prep, references = references
    configs = [{"trial": 0, "lr": 1e-2, "seed": 0}, {"trial": 1, "lr": 3e-2, "seed": 0},
               {"trial": 2, "lr": 1e-3, "seed": 0}]
    finished = [run_in_process(prep, references, c) for c in configs[:2]]
    cut = {"step": 8, "round": 1, "seconds": 0.1, "eval_gap": 0.6, "final": False}
    finished.append((configs[2], cut, None))
    table = results_table(prep.exp, configs, finished, references, prep.exp.unlearn_config(), prep.original.seconds)
    path = tmp_path_factory.mktemp("local-sweep") / "sweep.csv"
    write_table(table, path)
    return table, path


def test_results_table_has_every_column_and_consistent_avg_gaps(local_table):
    table, path = local_table
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert list(table["kind"]) == ["trial", "trial", "trial", "original", "retrain"]
    retrain = table[table["kind"] == "retrain"].iloc[0]
    assert retrain["avg_gap"] == 0.0
    for _, row in finished_trials(table).iterrows():
        expected = gaps_to_retrain(row.to_dict(), retrain.to_dict(), "class")["avg_gap"]
        assert row["avg_gap"] == pytest.approx(expected)
        assert row["speedup"] == pytest.approx(retrain["seconds"] / row["seconds"])
    cut = table[table["trial"] == 2].iloc[0]
    assert cut["status"] == STOPPED_EARLY and math.isnan(cut["avg_gap"]) and cut["steps"] == 8
    assert set(table.loc[table["kind"] == "trial", "status"]) <= {TERMINATED, NOT_TERMINATED, STOPPED_EARLY}


def test_csv_and_parquet_round_trip(local_table, tmp_path):
    table, path = local_table
    from_csv = read_table(path)
    write_table(table, tmp_path / "sweep.parquet")
    from_parquet = read_table(tmp_path / "sweep.parquet")
    for read in (from_csv, from_parquet):
        assert list(read.columns) == list(TABLE_COLUMNS)
        pd.testing.assert_frame_equal(read[["trial", "lr", "avg_gap", "seconds"]],
                                      table[["trial", "lr", "avg_gap", "seconds"]], check_dtype=False)
    assert written(tmp_path) == ["sweep.parquet"]          # no temporary file left behind


def test_read_table_rejects_what_is_not_a_results_file(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(UserInputError, match="not a sweep results file: missing column 'kind'"):
        read_table(other)
    with pytest.raises(UserInputError, match="cannot read"):
        (tmp_path / "bad.parquet").write_text("not parquet")
        read_table(tmp_path / "bad.parquet")


def test_best_trial_prefers_terminated_then_smallest_avg_gap(local_table):
    table, _ = local_table
    best, note = best_trial(table)
    done = finished_trials(table)
    terminated = done[done["status"] == TERMINATED]
    assert len(terminated), "lr 1e-2 and 3e-2 terminate on digits class 5"
    assert best["avg_gap"] == terminated["avg_gap"].min() and "terminated" in note
    # Without terminated trials the best finished one is taken, and the note says so.
    untermed = table.copy()
    untermed.loc[untermed["status"] == TERMINATED, "status"] = NOT_TERMINATED
    best2, note2 = best_trial(untermed)
    assert best2["trial"] == best["trial"] and note2.startswith("no trial terminated")


def test_a_row_reproduces_through_the_run_command(local_table, class_prep, capsys, monkeypatch):
    """`run_arguments(row)` parsed by the real `run` parser gives the trial's experiment back."""
    from unlearn_core.cli import build_parser, experiment_from_args

    table, _ = local_table
    row = finished_trials(table).iloc[0]
    exp = experiment_from_args(build_parser().parse_args(["run", *run_arguments(row)]))
    assert exp.unlearn_config() == replace(class_prep.exp.unlearn_config(), lr=row["lr"], seed=int(row["seed"]))
    assert exp.forget == class_prep.exp.forget and exp.data.dataset == "digits"


def test_pareto_front_is_non_dominated_on_the_three_objectives(local_table):
    table, _ = local_table
    front = pareto_front(table)
    assert len(front) == 2 and front["on_front"].any()
    values = front[["forget_gap", "utility_loss", "seconds"]].to_numpy()
    assert (front["on_front"].to_numpy() == pareto_brute_force(values)).all()


# ---------------------------------------------------------------------------------------------------
# The page (AppTest)
# ---------------------------------------------------------------------------------------------------

def open_sweep_page():
    """The Sweep page inside app.py (navigation and the shared sidebar), as a user reaches it."""
    from app_testing import open_page

    return open_page("pages/sweep.py")


def test_page_opens_a_results_file_with_both_figures_and_a_link_per_trial(local_table):
    from unlearn_core.experiment import Experiment  # noqa: F401  (the app's config builds one)
    from app_ui.app_config import AppConfig

    table, path = local_table
    at = open_sweep_page()
    assert not at.exception
    at.text_input(key="sweep.path").set_value(str(path)).run()
    assert not at.exception and not at.error
    charts = at.get("plotly_chart")
    kinds = [json.loads(c.proto.spec)["data"][0]["type"] for c in charts]
    assert kinds == ["parcoords", "scatter"]
    pareto = json.loads(charts[1].proto.spec)["data"]
    assert {"on the Pareto front", "retrain", "original"} <= {trace.get("name") for trace in pareto}
    best, _ = best_trial(table)
    assert any(f"Best trial: {int(best['trial'])}" in m.value for m in at.markdown)
    view = at.dataframe[0].value
    assert list(view["trial"]) == [0, 1, 2] and list(view["status"])[2] == STOPPED_EARLY
    # Each link opens the Unlearn page with the trial's whole configuration.
    for (_, row), link in zip(table[table["kind"] == "trial"].iterrows(), view["open"]):
        parts = urlsplit(link)
        assert parts.path == "unlearn"
        cfg, problems = AppConfig.from_query(dict(parse_qsl(parts.query)))
        assert problems == []
        assert cfg.unlearn_config().lr == row["lr"] and cfg.seed == row["seed"]
        assert (cfg.dataset, cfg.mode, cfg.forget_class) == ("digits", "class", 5)
        assert replace(cfg.unlearn_config(), probe_every=0) == replace(
            table_config(row), probe_every=0)


def table_config(row):
    from unlearn_core import UnlearnConfig

    return UnlearnConfig(**{name: (int(row[name]) if isinstance(getattr(UnlearnConfig(), name), int)
                                   else float(row[name])) for name in SEARCHABLE})


def test_page_says_what_is_wrong_with_a_bad_file(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    at = open_sweep_page()
    at.text_input(key="sweep.path").set_value(str(other)).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"{other} is not a sweep results file: missing column 'kind'"]
    at.text_input(key="sweep.path").set_value(str(tmp_path / "missing.csv")).run()
    assert not at.exception and "no such file" in at.error[0].value


def test_page_without_ray_says_how_to_enable_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    at = open_sweep_page()
    assert not at.exception
    assert any("pip install -r requirements-sweep.txt" in i.value for i in at.info)
    assert not at.button                                    # nothing to launch


def need_ray():
    """Ray Tune is an optional extra of the app, not of the tests: CI installs it (requirements-dev.txt)."""
    try:
        import ray
    except ImportError:
        pytest.fail("Ray Tune is not installed: pip install -r requirements-sweep.txt")
    return ray


def test_page_launch_form_builds_a_command_the_cli_accepts(tmp_path):
    need_ray()
    at = open_sweep_page()
    at.text_input(key="sweep.space.lr").set_value("1e-2, 3e-2").run()
    at.text_input(key="sweep.seeds").set_value("0").run()
    assert not at.exception and not at.error
    (button,) = [b for b in at.button if b.key == "sweep.launch"]
    assert button.label == "Launch 2 trials on this machine"
    command = at.code[0].value
    assert command.startswith("python -m unlearn_core sweep ") and "--space lr=1e-2,3e-2" in command
    # The same command, as a dry run, lists the same two trials.
    argv = command.split()[3:-2] + ["--dry-run"]             # drop "python -m unlearn_core" and "--out sweep.csv"
    env = {**os.environ, "UNLEARN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "unlearn_core", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["  trial 0: lr=0.01 seed=0", "  trial 1: lr=0.03 seed=0"]
    at.text_input(key="sweep.space.lr").set_value("1e-2, -1").run()
    assert not at.exception and "lr must be a number > 0" in at.error[0].value


# ---------------------------------------------------------------------------------------------------
# One real sweep on local Ray
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_sweep(class_prep, tmp_path_factory):
    """Two trials (lr 1e-2 and 3e-2) of class-5 unlearning on digits, on local Ray with ASHA."""
    ray = need_ray()

    root = tmp_path_factory.mktemp("ray-sweep")
    old_tmp = os.environ.get("RAY_TMPDIR")
    # Ray's session files in a folder of the test's own; a short one, as Ray's socket paths must fit
    # in 107 bytes (a pytest tmp_path does not leave room).
    ray_tmp = tempfile.mkdtemp(prefix="ray-")
    os.environ["RAY_TMPDIR"] = ray_tmp
    log = ProgressLog(root / "progress.jsonl")
    events = []

    def on_event(event):
        events.append(event)
        log(event)

    try:
        spec = SearchSpec(parse_space(["lr=1e-2,3e-2"]))
        table = run_sweep(class_prep.exp, spec, SweepOptions(storage=str(root / "tune")), on_event=on_event)
        still_running = ray.is_initialized()
    finally:
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)
        if old_tmp is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = old_tmp
    path = root / "sweep.csv"
    write_table(table, path)
    return table, events, root, still_running


def test_the_sweep_runs_every_trial_and_shuts_ray_down(ray_sweep):
    table, events, root, still_running = ray_sweep
    assert not still_running
    t = table[table["kind"] == "trial"]
    assert list(t["trial"]) == [0, 1] and list(t["lr"]) == [1e-2, 3e-2]
    assert set(t["status"]) <= {TERMINATED, NOT_TERMINATED, STOPPED_EARLY}, t["error"].tolist()
    assert len(finished_trials(table)) >= 1                 # the first trial at a rung is never cut
    assert (root / "tune" / "unlearn-sweep").is_dir()       # --storage keeps Tune's experiment folder
    start = next(e for e in events if e["event"] == "start")
    assert start["trials"] == 2 and start["gpus_per_trial"] == 0


def test_trials_start_from_the_shared_original_and_report_evaluated_steps(ray_sweep, class_prep, references):
    table, events, _, _ = ray_sweep
    prep, references = references
    reference = references[0]
    original_gap = eval_gap(evaluate_small(prep.original.model, prep.data, reference.split, prep.device),
                            reference.retrain_eval)
    every = class_prep.exp.unlearn_config().eval_every
    for trial in (0, 1):
        results = [e for e in events if e["event"] == "trial_result" and e["trial"] == trial]
        assert results[0]["step"] == 0 and results[0]["eval_gap"] == pytest.approx(original_gap)
        steps = [r["step"] for r in results if not r["final"]]
        assert steps == list(range(0, every * len(steps), every))
        row = table[table["trial"] == trial].iloc[0]
        assert row["steps"] == results[-1]["step"]
        if row["status"] in (TERMINATED, NOT_TERMINATED):
            assert results[-1]["final"] and row["avg_gap"] == pytest.approx(results[-1]["avg_gap"])


def test_a_ray_trial_matches_the_same_run_outside_ray(ray_sweep, references):
    """The trial used its configuration, the shared original and the seed's split: run here with one
    thread (as the trial did), it takes the same steps to the same metrics."""
    table, _, _, _ = ray_sweep
    row = finished_trials(table).iloc[0]
    prep, references = references
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _, last, _ = run_in_process(prep, references, {"lr": float(row["lr"]), "seed": 0})
    finally:
        torch.set_num_threads(threads)
    assert last["step"] == row["steps"] and last["stop_reason"] == row["stop_reason"]
    for key in ("forget_train_acc", "forget_test_acc", "remain_test_acc", "avg_gap"):
        assert last[key] == pytest.approx(row[key], abs=1e-6), key


def test_the_sweep_file_and_its_progress_open_in_the_page(ray_sweep):
    from app_ui.sweep_page import summarize_progress

    table, _, root, _ = ray_sweep
    progress = summarize_progress(read_progress(root / "progress.jsonl"))
    assert progress.total == 2 and progress.finished == 2 and progress.error is None
    assert list(progress.latest["trial"]) == [0, 1]
    assert list(progress.latest["state"]) == list(table.loc[table["kind"] == "trial", "status"])
    at = open_sweep_page()
    at.text_input(key="sweep.path").set_value(str(root / "sweep.csv")).run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 2
    assert "best trial" in format_summary(table)


def test_opening_a_trial_here_sets_the_sidebar_and_switches_to_the_unlearn_page(local_table, monkeypatch):
    import app_ui.unlearn_page

    # The Unlearn page's body (tested in its own files) would start preparing its map in a background
    # thread; here only the switch and the configuration it arrives with matter.
    monkeypatch.setattr(app_ui.unlearn_page, "render_unlearn", lambda: None)
    table, path = local_table
    at = open_sweep_page()
    at.text_input(key="sweep.path").set_value(str(path)).run()
    at.selectbox(key="sweep.open_trial").set_value(1).run()
    at.button(key="sweep.open_button").click().run()
    assert not at.exception
    cfg = at.session_state["app_config"]
    row = table[table["trial"] == 1].iloc[0]
    assert all(getattr(cfg.hyper, name) == row[name] for name in HYPERPARAMETERS)
    assert cfg.hyper.lr == row["lr"] == 3e-2 and cfg.seed == 0 and (cfg.mode, cfg.forget_class) == ("class", 5)
    assert at.query_params["lr"] == repr(3e-2)             # the URL follows: the link can be shared
    assert at.title[0].value == "Unlearn"
