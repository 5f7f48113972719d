"""Every failure recovers (issue 23): a cancelled or failed shared job never poisons later requests. For each kind
of shared job (preparation, retrain reference, comparison, download, sweep): the page says "cancelled" or the
failure's reason in one line, no exception box, and Run / Try again / Start starts it afresh, for this session and
any other.

The slow parts are held by the test (threading.Event gates, jobs that fail on purpose): nothing here waits on the
clock, and no model is trained beyond the short-recipe preparation the page tests share."""
from __future__ import annotations

import threading

import pytest

from app_testing import TINY_EPOCHS, open_page, wait_until_prepared
from app_ui import compare_page, cost_estimate, dataset_files, sweep_page
from app_ui.jobs import resources
from app_ui.jobs.background import Job
from app_ui.jobs.board import JobBoard
from unlearn_core import UserInputError
from unlearn_core.download import DownloadCancelled

WAIT = 120


@pytest.fixture
def tiny_recipe(monkeypatch):
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)


def held(gate: threading.Event, then=None):
    """Work that reports progress until `gate` is set, then returns (or raises `then`)."""
    def work(job: Job):
        job.set_phase("held by the test")
        while not gate.wait(0.01):
            job.progress(0, 1)
        if then is not None:
            raise then
        return "done"
    return work


def one_line(text: str) -> bool:
    return "\n" not in text and len(text) < 400


# ---- the board: cancel and failure, any number of sessions ---------------------------------------------------
def test_a_job_waiting_for_another_ends_at_once_when_cancelled():
    gate = threading.Event()
    other = Job("reference", held(gate)).start()
    waiting = Job("compare", lambda job: job.wait_for(other)).start()
    waiting.cancel("Cancel was pressed", by_user=True)
    assert waiting.wait(WAIT) and waiting.cancelled == "Cancel was pressed"
    assert not other.done                                # not held up by the job it waited for
    gate.set()
    assert other.wait(WAIT) and other.ok


def test_a_failed_job_stays_for_every_session_until_one_tries_again_then_all_get_a_fresh_one():
    board, gate = JobBoard("test"), threading.Event()
    gate.set()
    failed = board.get("k", held(gate, then=RuntimeError("out of memory")))
    assert failed.wait(WAIT) and failed.why_not_ok == "RuntimeError: out of memory"
    assert board.get("k", held(gate)) is failed            # another session: the same failure, said, not re-run
    running_gate = threading.Event()
    running = JobBoard("test")
    job = running.get("k", held(running_gate))
    assert not running.drop(job) and running.peek("k") is job    # a running job is never dropped
    assert board.drop(failed)                              # Try again, in one session ...
    fresh = board.get("k", held(gate))                     # ... and the next ask, from any session, runs afresh
    assert fresh is not failed and fresh.started and fresh.wait(WAIT) and fresh.ok
    assert not board.drop(fresh)                           # a result is kept
    running_gate.set()


def test_a_failed_reference_is_retried_by_the_next_ask_after_try_again(monkeypatch):
    monkeypatch.setattr(resources, "REFERENCES", JobBoard("reference"))
    monkeypatch.setattr(resources, "retrain_estimate", lambda prep: None)
    calls = []

    def build(prep, job):
        calls.append(prep)
        raise UserInputError("the disk is full")
    monkeypatch.setattr(resources, "build_reference", build)
    first = resources.reference_job("key", "prep")
    assert first.wait(WAIT) and first.why_not_ok == "the disk is full"
    assert resources.reference_job("key", "prep") is first and len(calls) == 1
    resources.retry_reference(first)
    again = resources.reference_job("key", "prep")
    assert again is not first and again.wait(WAIT) and len(calls) == 2


# ---- preparation ---------------------------------------------------------------------------------------------
def test_a_preparation_that_failed_says_why_to_every_session_and_try_again_prepares_afresh(tiny_recipe, monkeypatch):
    monkeypatch.setattr(resources, "build_prepared_map", lambda *a: 1 / 0)      # a bug in preparing
    first = open_page("pages/unlearn.py", points="123")                        # a map of its own
    second = open_page("pages/unlearn.py", points="123")
    for at in (wait_until_prepared(first), wait_until_prepared(second)):
        assert not at.exception
        [error] = [e.value for e in at.error]
        assert one_line(error) and error.endswith("ZeroDivisionError: division by zero"), error
    cfg = first.session_state["app_config"]
    failed = resources.PREPARED.peek((cfg.prep_key(), 123))
    next(b for b in second.button if b.label == "Try again").click().run()
    assert resources.PREPARED.peek((cfg.prep_key(), 123)) is not failed     # the other session asked afresh
    resources.retry_prepare(cfg.prep_key(), 123)


# ---- comparison (and its reference) ---------------------------------------------------------------------------
def test_a_cancelled_then_failed_comparison_recovers_for_every_session(tiny_recipe, monkeypatch):
    references, comparisons = JobBoard("reference"), JobBoard("compare")
    monkeypatch.setattr(resources, "REFERENCES", references)
    monkeypatch.setattr(compare_page, "REFERENCES", references)
    monkeypatch.setattr(compare_page, "COMPARISONS", comparisons)
    first = wait_until_prepared(open_page("pages/compare.py"))
    cfg = first.session_state["app_config"]
    gate = threading.Event()
    reference = references.get(cfg.prep_key(), held(gate, then=UserInputError("the disk is full")))

    key = (cfg.prep_key(), cfg.view.points, compare_page.method_plan(cfg, list(compare_page.FIGURE_1)))
    first.button(key="compare_run").click().run()             # the comparison waits for the held reference
    job = comparisons.peek(key)
    assert job.started and not job.done and not first.exception
    first.button(key="job_cancel_Comparing").click().run()
    assert job.wait(WAIT) and job.cancelled == "Cancel was pressed" and not reference.done
    first.run()
    warning = " ".join(w.value for w in first.warning)
    assert not first.exception and "Comparing: The last one was cancelled: Cancel was pressed." in warning

    second = open_page("pages/compare.py")                     # a new tab asks for the same comparison
    assert not second.exception
    second.button(key="compare_run").click().run()             # Run starts it afresh
    again = comparisons.peek(key)
    assert again is not job and again.started and not second.exception

    gate.set()                                                 # now the reference fails
    assert again.wait(WAIT)
    for at in (first.run(), second.run()):                     # both sessions: the reason, in one line
        assert not at.exception
        [error] = [e.value for e in at.error]
        assert one_line(error) and "the retrain reference did not finish (the disk is full)" in error, error
    monkeypatch.setattr(cost_estimate, "LONG_SECONDS", 0.0)   # the fresh retrain asks first: nothing trains here
    second.button(key="compare_retry").click().run()
    fresh = references.peek(cfg.prep_key())
    assert fresh is not reference and not fresh.started and not second.exception
    assert comparisons.peek(key) is None                       # the failed comparison is gone for everyone
    first.run()
    assert any("Retrain reference:" in w.value for w in first.warning) and not first.error


# ---- download --------------------------------------------------------------------------------------------------
def test_a_cancelled_download_says_so_and_the_next_download_starts_afresh(tmp_path, monkeypatch):
    gate, release = threading.Event(), threading.Event()

    def fetch(name, folder, progress, cancel):            # the network, held by the test until cancelled
        progress(0, 10)
        while not cancel():
            gate.wait(0.01)
        release.wait(WAIT)          # and then until the page's run after the click is over: the cancel is said
        raise DownloadCancelled("cancelled")                # in the first run that sees the job done
    monkeypatch.setattr(dataset_files, "fetch", fetch)
    monkeypatch.setenv("UNLEARN_DATA_DIR", str(tmp_path / "data"))
    at = open_page(dataset="mnist")
    at.sidebar.button(key="download_start").click().run()
    job = dataset_files.download("mnist", str(tmp_path / "data")).job
    assert job.started and not job.done
    at.sidebar.button(key="job_cancel_Fetching mnist").click().run()
    release.set()
    assert job.wait(WAIT)
    at.run()
    assert not at.exception and [i.value for i in at.sidebar.info] == ["Download cancelled; nothing was written."]
    other = open_page(dataset="mnist")                         # another session: a fresh Download button
    assert not other.exception and other.sidebar.button(key="download_start").label.startswith("Download")
    other.sidebar.button(key="download_start").click().run()
    fresh = dataset_files.download("mnist", str(tmp_path / "data")).job
    assert fresh is not job and fresh.started
    fresh.cancel("test over")
    assert fresh.wait(WAIT)


def test_a_failed_download_says_why_and_the_next_download_starts_afresh(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_files, "fetch", lambda *a, **k: 1 / 0)
    monkeypatch.setenv("UNLEARN_DATA_DIR", str(tmp_path / "data"))
    at = open_page(dataset="mnist")
    at.sidebar.button(key="download_start").click().run()
    job = dataset_files.download("mnist", str(tmp_path / "data")).job
    assert job.wait(WAIT)
    other = open_page(dataset="mnist")                         # every session: the failure, in one line
    for page in (at.run(), other):
        assert not page.exception
        [error] = [e.value for e in page.sidebar.error]
        assert one_line(error), error
    other.sidebar.button(key="download_start").click().run()
    assert dataset_files.download("mnist", str(tmp_path / "data")).job is not job


# ---- sweep -----------------------------------------------------------------------------------------------------
def test_a_cancelled_or_failed_sweep_says_so_in_one_line_and_launch_starts_afresh(tiny_recipe, monkeypatch):
    gate, launched = threading.Event(), []

    def run_sweep(exp, spec, options, on_event, progress, should_stop):   # Ray Tune, held by the test
        launched.append(spec)
        on_event({"event": "start", "trials": 1})
        while not should_stop():
            if gate.wait(0.01):
                raise RuntimeError("a trial's worker died")
        raise UserInputError("the sweep was stopped; nothing was written")
    monkeypatch.setattr(sweep_page, "ray_available", lambda: True)
    monkeypatch.setattr(sweep_page, "run_sweep", run_sweep)
    at = open_page("pages/sweep.py")
    at.text_input(key="sweep.space.lr").set_value("1e-2").run()
    at.text_input(key="sweep.seeds").set_value("0").run()
    at.button(key="sweep.launch").click().run()
    job = at.session_state[sweep_page.JOB_KEY]
    assert job.started and not at.exception
    at.button(key="job_cancel_Sweep").click().run()
    assert job.wait(WAIT) and job.cancelled == "Cancel was pressed"
    at.run()
    assert not at.exception and [i.value for i in at.info][0] == \
        "The last sweep ended without results: cancelled: Cancel was pressed"
    at.button(key="sweep.launch").click().run()               # afresh: the server's one-sweep lock was released
    again = at.session_state[sweep_page.JOB_KEY]
    assert again is not job and len(launched) == 2
    gate.set()                                                 # this one fails
    assert again.wait(WAIT) and again.failure
    at.run()
    [error] = [e.value for e in at.error]
    assert not at.exception and error == "The last sweep failed (internal error): RuntimeError: a trial's worker died"
    assert at.button(key="sweep.launch").label == "Launch 1 trial on this machine"
