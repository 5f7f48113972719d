"""compare --out keeps every finished run (rewritten after each one, "complete": false until the last), and
--resume runs only the missing (seed, method) pairs of an interrupted comparison, refusing a file of another
experiment or one that is not a compare file in one line."""
from __future__ import annotations

import json

import pytest

from unlearn_core import cli, compare
from unlearn_core.compare import format_table, summarise

TINY_OPTIONS = ["--device", "cpu", "--max-steps", "4", "--eval-every", "2"]
METHODS = "contrastive,random_labels"
PLANNED = [(0, "contrastive"), (0, "random_labels"), (1, "contrastive"), (1, "random_labels")]
# What a run reports that does not depend on the clock.
TIMED = ("seconds", "speedup", "retrain_seconds", "original_seconds", "retrain_seconds_source", "cost", "history",
         "stop_reason")


@pytest.fixture(autouse=True)
def no_evidence(monkeypatch):
    """Without the relearning test and the probe (evidence.py, tested elsewhere): a run then takes well under a
    second, and what is kept and what is run is the same."""
    real = compare.reference
    monkeypatch.setattr(compare, "reference", lambda prep: real(prep, evidence=None))


def compare_cli(out, *extra, seeds="0,1") -> int:
    """main() returns the exit code; argparse's own errors arrive as SystemExit."""
    try:
        return cli.main(["compare", "--methods", METHODS, "--seeds", seeds, "--out", str(out), *TINY_OPTIONS,
                         *extra])
    except SystemExit as exit_info:
        return exit_info.code


class Interrupt:
    """compare.run_method, counted, with a Ctrl-C at the start of run number `stop_at` (1-based; None: never)."""

    def __init__(self, stop_at: int | None = None):
        self.stop_at, self.calls = stop_at, []
        self.real = compare.run_method

    def __call__(self, prep, ref, method, cfg=None, **kwargs):
        self.calls.append((cfg.seed, method))
        if self.stop_at is not None and len(self.calls) == self.stop_at:
            raise KeyboardInterrupt
        return self.real(prep, ref, method, cfg, **kwargs)


@pytest.fixture(scope="module")
def partial(class_prep, short_recipe, tmp_path_factory):
    """A comparison of 2 methods x 2 seeds interrupted at the start of its third run: the file as it was left."""
    out = tmp_path_factory.mktemp("resume") / "cmp.json"
    interrupt = Interrupt(stop_at=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compare, "run_method", interrupt)
        real = compare.reference
        patch.setattr(compare, "reference", lambda prep: real(prep, evidence=None))
        assert compare_cli(out) == 130
    return out, out.read_text()


@pytest.fixture
def partial_copy(partial, tmp_path):
    out = tmp_path / "cmp.json"
    out.write_text(partial[1])
    return out


def test_an_interrupted_comparison_keeps_its_finished_runs(partial, capsys):
    data = json.loads(partial[1])
    assert data["complete"] is False
    assert [(p["seed"], p["method"]) for p in data["planned"]] == PLANNED
    assert [(r["seed"], r["method"]) for r in data["runs"]] == PLANNED[:2]
    assert data["tuning"] == [] and data["data"]["dataset"] == "digits"


def test_resume_runs_only_the_missing_pairs_and_ends_complete(partial_copy, monkeypatch, capsys):
    kept = json.loads(partial_copy.read_text())["runs"]
    counted = Interrupt()
    monkeypatch.setattr(compare, "run_method", counted)
    assert compare_cli(partial_copy, "--resume") == 0
    assert counted.calls == PLANNED[2:]                     # seed 0's runs are not run again
    data = json.loads(partial_copy.read_text())
    assert data["complete"] is True
    assert [(r["seed"], r["method"]) for r in data["runs"]] == PLANNED
    assert data["runs"][:2] == kept                         # the kept runs as they were
    out = capsys.readouterr().out
    assert "resuming" in out and "2 of 4 runs already there" in out
    # The table covers old and new runs: the one summarise() makes of the whole file.
    assert format_table(summarise(data["runs"])) in out
    rows = summarise(data["runs"])
    assert [(row["method"], row["seeds"]) for row in rows] == [
        ("original", 2), ("reference", 2), ("contrastive", 2), ("random_labels", 2)]

    # The same runs as one uninterrupted comparison makes, apart from the clock.
    whole = partial_copy.with_name("whole.json")
    monkeypatch.setattr(compare, "run_method", Interrupt())
    assert compare_cli(whole) == 0
    uninterrupted = json.loads(whole.read_text())
    assert uninterrupted["complete"] is True and uninterrupted["planned"] == data["planned"]

    def untimed(reports):
        return [{k: v for k, v in r.items() if k not in TIMED} for r in reports]

    assert untimed(uninterrupted["runs"]) == untimed(data["runs"])
    untimed_keys = ("remain_test_acc", "forget_train_acc", "forget_test_acc", "mia_efficacy", "avg_gap")
    assert [{k: row["values"].get(k) for k in untimed_keys} for row in summarise(uninterrupted["runs"])] == \
        [{k: row["values"].get(k) for k in untimed_keys} for row in rows]

    # Resuming a finished comparison runs nothing and prints the table again.
    monkeypatch.setattr(compare, "run_method", nothing := Interrupt())
    assert compare_cli(partial_copy, "--resume") == 0
    assert nothing.calls == [] and json.loads(partial_copy.read_text())["runs"] == data["runs"]


def test_resume_may_add_a_seed(partial_copy, monkeypatch):
    counted = Interrupt(stop_at=1)        # interrupt the first new run: only which runs it starts matters
    monkeypatch.setattr(compare, "run_method", counted)
    assert compare_cli(partial_copy, "--resume", seeds="0,1,2") == 130
    assert counted.calls == [(1, "contrastive")]
    data = json.loads(partial_copy.read_text())
    assert data["complete"] is False and len(data["planned"]) == 6 and len(data["runs"]) == 2


def refused(capsys, code: int) -> str:
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    return err


@pytest.mark.parametrize("extra, message", [
    (["--lr", "0.5"], "hyperparameters lr: 0.01 in the file, 0.5 here"),
    (["--forget-class", "3"], "forget forget_class: 5 in the file, 3 here"),
    (["--train-epochs", "2"], "train epochs"),
    (["--paper-defaults"], "different experiment"),
    (["--train-size", "500"], "different experiment (data"),
])
def test_resume_refuses_another_experiment(partial_copy, monkeypatch, capsys, extra, message):
    before = partial_copy.read_text()
    monkeypatch.setattr(compare, "run_method", counted := Interrupt())
    err = refused(capsys, compare_cli(partial_copy, "--resume", *extra))
    assert f"cannot resume from {partial_copy}" in err and message in err, err
    assert counted.calls == [] and partial_copy.read_text() == before


def test_resume_refuses_to_drop_runs(partial_copy, capsys):
    err = refused(capsys, compare_cli(partial_copy, "--resume", seeds="1"))
    assert "holds a run (seed 0 contrastive) that this command does not plan" in err


@pytest.mark.parametrize("text, message", [
    (json.dumps({"method": "contrastive", "seed": 0, "metrics": {}}), "it is not a compare file"),
    (json.dumps({"runs": [{"method": "contrastive"}]}), "it is not a compare file"),
    (json.dumps([1, 2]), "it is not a compare file"),
    ("{not json", "it is not JSON"),
])
def test_resume_refuses_a_file_that_is_not_a_compare_file(tmp_path, capsys, text, message):
    out = tmp_path / "run.json"
    out.write_text(text)
    err = refused(capsys, compare_cli(out, "--resume"))
    assert f"cannot resume from {out}: {message}" in err
    assert out.read_text() == text


def test_resume_needs_out(capsys):
    code = cli.main(["compare", "--methods", METHODS, "--resume", *TINY_OPTIONS])
    assert "--resume needs --out" in refused(capsys, code)
