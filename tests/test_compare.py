"""The compare command and its tables: several methods x seeds from one original, reports shaped like run's."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from unlearn_core import cli
from unlearn_core.compare import format_table, method_configs, summarise, winner
from unlearn_core.experiment import reference, run_method

TINY_OPTIONS = ["--device", "cpu", "--max-steps", "4", "--eval-every", "2"]


@pytest.fixture(scope="module")
def compared(class_prep, short_recipe, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "cmp.json"
    code = cli.main(["compare", "--methods", "contrastive,neggrad,boundary_expanding", "--seeds", "0,1",
                     "--out", str(out), *TINY_OPTIONS])
    assert code == 0
    return json.loads(out.read_text())


def test_compare_writes_one_run_report_per_method_and_seed(compared, class_prep, capsys):
    runs = compared["runs"]
    assert {"runs", "tuning"} <= set(compared) and compared["tuning"] == []      # untuned: no --tune
    assert compared["complete"] is True                   # every planned run finished (compare_file.py)
    assert [(r["method"], r["seed"]) for r in runs] == [
        (m, s) for s in (0, 1) for m in ("contrastive", "neggrad", "boundary_expanding")]
    # The same keys as `run`'s report, built by the same function.
    single = run_method(class_prep, reference(class_prep), "neggrad").report
    assert all(set(r) == set(single) for r in runs)
    assert all(set(r["metrics"]) == {"original", "unlearned", "retrain"} for r in runs)
    assert all(r["hyperparameters"]["max_steps"] == 4 and r["steps"] <= 4 for r in runs)
    # Every method's history says, at every evaluated step, whether the forget samples left their cluster.
    assert all("own_class_knn" in e["embedding"] for r in runs for e in r["history"])
    # One original and one retrain reference per seed, shared by every method of that seed.
    for seed in (0, 1):
        same_seed = [r for r in runs if r["seed"] == seed]
        assert all(r["metrics"]["original"] == same_seed[0]["metrics"]["original"] for r in same_seed)
        assert all(r["metrics"]["retrain"] == same_seed[0]["metrics"]["retrain"] for r in same_seed)
        assert all(r["metrics"]["retrain"]["avg_gap"] == 0 for r in same_seed)


def test_compare_prints_the_table_with_every_method(class_prep, short_recipe, capsys):
    assert cli.main(["compare", "--methods", "boundary_expanding,contrastive", *TINY_OPTIONS]) == 0
    out = capsys.readouterr().out
    for title in ("Original", "Retrain (reference)", "Contrastive", "Boundary Expanding", "Avg. Gap", "±"):
        assert title in out
    assert "smallest Avg. Gap" in out or "no method passed" in out


def test_run_accepts_a_baseline_method(class_prep, short_recipe, tmp_path):
    out = tmp_path / "run.json"
    assert cli.main(["run", "--method", "boundary_shrink", "--out", str(out), *TINY_OPTIONS]) == 0
    report = json.loads(out.read_text())
    assert report["method"] == "boundary_shrink"
    assert report["hyperparameters"]["lr"] == 1e-2            # its digits default, not contrastive's


@pytest.mark.parametrize("argv, message", [
    (["--methods", "contrastive,nope"], "unknown method 'nope'"),
    (["--seeds", "0,x"], "expected comma-separated integers"),
    (["--out", "/proc/cmp.json"], "cannot write /proc/cmp.json"),
    (["--methods", ","], "expected comma-separated method names"),
    (["--out", "/no/such/folder/cmp.json"], "folder /no/such/folder does not exist"),
])
def test_compare_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:        # argparse errors exit; UserInputErrors return 2
        raise SystemExit(cli.main(["compare", *argv, *TINY_OPTIONS]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_summarise_means_gaps_and_best_marks(compared):
    rows = summarise(compared["runs"])
    by_method = {row["method"]: row for row in rows}
    assert list(by_method)[:2] == ["original", "reference"]
    ref = by_method["reference"]
    assert ref["values"]["avg_gap"] == (0.0, 0.0)
    contrastive = [r for r in compared["runs"] if r["method"] == "contrastive"]
    values = [r["metrics"]["unlearned"]["remain_test_acc"] for r in contrastive]
    mean = sum(values) / 2
    assert by_method["contrastive"]["values"]["remain_test_acc"] == pytest.approx((mean, abs(values[0] - mean)))
    assert by_method["contrastive"]["gaps"]["remain_test_acc"] == pytest.approx(
        abs(mean - ref["values"]["remain_test_acc"][0]))
    # Every column's best is among the competing methods, and its score is the best one.
    competing = rows[2:]
    lowest_gap = min(r["values"]["avg_gap"][0] for r in competing)
    assert all(("avg_gap" in r["best"]) == (r["values"]["avg_gap"][0] <= lowest_gap + 1e-12) for r in competing)
    assert "±" in format_table(rows)


def test_winner_is_the_smallest_gap_among_methods_that_pass_in_every_seed(compared):
    runs = compared["runs"]
    rows = summarise(runs)
    eligible = [r for r in rows[2:] if r["reached"] == r["seeds"]]
    name, verdict = winner(rows)
    if eligible:
        best = min(eligible, key=lambda r: r["values"]["avg_gap"][0])
        assert name == best["method"]
        assert best["title"] in verdict and "_" not in verdict     # display names, never internal ones
    else:
        assert name is None and "no method passed" in verdict
    # A retrain run never competes: it is the reference itself.
    retrain_row = {**rows[2], "method": "retrain", "values": {**rows[2]["values"], "avg_gap": (0.0, 0.0)},
                   "reached": rows[2]["seeds"]}
    assert winner([*rows, retrain_row])[0] == name


def test_the_retrain_method_trains_with_the_experiments_recipe(class_prep):
    """With a longer recipe for the original and the reference (--train-epochs), the retrain run beside
    them is as long: else its Avg. Gap and FLOPs would compare two different trainings."""
    longer = replace(class_prep.exp.train_config(), epochs=7)
    configs = method_configs(replace(class_prep.exp, train=longer), ["contrastive", "retrain"], [0, 1])
    assert [configs[s]["retrain"].max_rounds for s in (0, 1)] == [7, 7]
    assert configs[0]["contrastive"] == method_configs(class_prep.exp, ["contrastive"], [0])[0]["contrastive"]


# ---- the Compare page (AppTest) ------------------------------------------------------------------

def test_compare_page_runs_the_chosen_methods_side_by_side(class_prep, monkeypatch):
    from app_testing import TINY_EPOCHS, figures, open_page, trace_names, wait_until_prepared

    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)     # the app then uses class_prep's cached original
    at = wait_until_prepared(open_page("pages/compare.py"))
    assert not at.exception
    methods = at.multiselect(key="compare.methods")
    assert methods.value == ["contrastive", "neggrad", "finetune"]       # the paper's Figure 1 by default
    assert any("Press **Run**" in i.value for i in at.info)

    methods.set_value(["contrastive", "boundary_expanding"])
    at.button(key="compare_run").click().run()
    wait_until_prepared(at)
    assert not at.exception
    charts = figures(at)
    maps = [f for f in charts if any(n == "forget samples" for n in trace_names(f))]
    assert [m["layout"]["title"]["text"].split(":")[0] for m in maps] == ["Contrastive", "Boundary Expanding"]
    # The two maps share one projection: the same axis ranges.
    assert maps[0]["layout"]["xaxis"]["range"] == maps[1]["layout"]["xaxis"]["range"]
    curves = next(f for f in charts if any((n or "").startswith("forget acc: ") for n in trace_names(f)))
    assert {"forget acc: Contrastive", "forget acc: Boundary Expanding"} <= set(trace_names(curves))
    assert any((n or "").startswith("threshold 1/C") for n in trace_names(curves))
    table = at.dataframe[0].value
    assert list(table["method"]) == ["Original", "Retrain (reference)", "Contrastive", "Boundary Expanding"]
    assert {"Avg. Gap (%)", "time (s)", "speed-up", "FLOPs speed-up", "privacy score (x100)",
            "gap D^u_ts acc"} <= set(table.columns)
    assert table.loc[1, "Avg. Gap (%)"] == 0


def test_compare_page_asks_for_a_method(class_prep, monkeypatch):
    from app_testing import TINY_EPOCHS, open_page

    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
    at = open_page("pages/compare.py")
    at.multiselect(key="compare.methods").set_value([]).run()
    assert not at.exception
    assert any("Choose at least one method" in i.value for i in at.info)
