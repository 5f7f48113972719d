"""Long work (issue 10, item 8): shared jobs, Cancel, a session that goes away, an estimate asked about first.

Nothing here waits on the clock: the jobs below step when the test lets them (threading.Event), and the
page tests wait for job states with generous timeouts."""
from __future__ import annotations

import gc
import threading

import pytest

from unlearn_core import ModelConfig

from app_testing import TINY_EPOCHS, open_page, player_data, wait_until_prepared
from app_ui import cost_estimate
from app_ui.background_estimates import ESTIMATES
from app_ui.jobs.background import Job
from app_ui.jobs.board import JobBoard
from app_ui.jobs.resources import prepare_job

WAIT = 120


def stepping_job(gate: threading.Event, reported: threading.Event):
    """Work that reports progress until `gate` is set (a cancel stops it at its next report)."""
    def work(job: Job):
        done = 0
        while not gate.is_set():
            job.progress(done, 1000)
            reported.set()
            done += 1
            gate.wait(0.01)
        return "finished"
    return work


def started(work) -> Job:
    return Job("test", work).start()


def test_a_job_nobody_holds_any_more_is_cancelled_and_one_still_held_goes_on():
    gate, reported = threading.Event(), threading.Event()
    job = started(stepping_job(gate, reported))
    first, second = job.hold(), job.hold()
    first.release()
    assert reported.wait(WAIT) and not job.done                 # one session still waits: it goes on
    del second                                                  # its session state was dropped
    gc.collect()
    assert job.wait(WAIT)
    assert job.cancelled == "nobody was waiting for it any more" and not job.ok and job.result is None
    gate.set()


def test_cancel_stops_the_work_at_its_next_report_and_says_why():
    gate, reported = threading.Event(), threading.Event()
    job = started(stepping_job(gate, reported))
    assert reported.wait(WAIT)
    job.cancel("Cancel was pressed", by_user=True)
    assert job.wait(WAIT) and job.cancelled == "Cancel was pressed" and job.phase == "cancelled"
    gate.set()


def test_the_board_gives_every_session_the_same_job_for_a_key():
    board, gate, reported = JobBoard("test"), threading.Event(), threading.Event()
    barrier, got = threading.Barrier(8), []

    def session():
        barrier.wait()
        got.append(board.get("resnet18", stepping_job(gate, reported)))
    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert len(got) == 8 and len({id(j) for j in got}) == 1 and got[0].started
    gate.set()
    assert got[0].wait(WAIT) and got[0].result == "finished"


def test_after_a_cancel_the_board_waits_for_start_and_after_an_orphan_it_starts_again():
    board, gate, reported = JobBoard("test"), threading.Event(), threading.Event()
    job = board.get("k", stepping_job(gate, reported))
    job.cancel("Cancel was pressed", by_user=True)
    assert job.wait(WAIT)
    again = board.get("k", stepping_job(gate, reported))
    assert again is not job and not again.started and again.previous_cancel == "Cancel was pressed"
    again.start()
    again.cancel("nobody was waiting for it any more")
    assert again.wait(WAIT)
    third = board.get("k", stepping_job(gate, reported))
    assert third.started and third.previous_cancel is None
    gate.set()


def test_a_long_estimate_is_shown_before_anything_trains(monkeypatch):
    est = cost_estimate.Estimate("Training the original resnet18 on digits", flops=1.2e13, rate=4e10)
    assert est.long and "about 5 min on this device (1.2e+13 FLOPs at the 4e+10 FLOP/s measured here)" in est.describe()
    board = JobBoard("test")
    job = board.get("k", lambda job: "never", estimate=lambda: est)
    assert not job.started and job.estimate is est


@pytest.fixture
def tiny_recipe(monkeypatch):
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)


def test_the_rate_is_timed_on_the_model_to_be_trained_once_per_process(monkeypatch):
    """A device's rate depends on the model (on a GPU by orders of magnitude): each model is timed, once."""
    # The Start page's estimates of earlier tests time rates in a background thread: let them finish first, so
    # that the cache counts below are this test's calls only (a clean clone's run once counted a third miss).
    assert ESTIMATES.wait_until_done(300)
    cost_estimate._measured_flop_rate.cache_clear()
    resnet = cost_estimate.device_flop_rate("cpu", ModelConfig("resnet18"), (3, 32, 32), 512)
    cnn = cost_estimate.device_flop_rate("cpu")
    assert resnet > 0 and cnn > 0
    assert cost_estimate._measured_flop_rate.cache_info().misses == 2
    assert cost_estimate.device_flop_rate("cpu", ModelConfig("resnet18"), (3, 32, 32), 512) == resnet
    assert cost_estimate._measured_flop_rate.cache_info().hits == 1


def test_the_page_asks_before_a_long_training_then_shows_progress_cancel_and_start_again(tiny_recipe, monkeypatch):
    # Every training counts as long here: the page must ask first (a real estimate; only the threshold moves).
    monkeypatch.setattr(cost_estimate, "LONG_SECONDS", 0.0)
    at = open_page("pages/unlearn.py", model="resnet18", seed="7")
    cfg = at.session_state["app_config"]
    job = prepare_job(cfg.prep_key(), cfg.view.points)
    assert not job.started and not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "Training the original resnet18 on digits will take about" in warning and "FLOP/s measured here" in warning
    at.button(key="job_start_Preparing").click().run()
    assert job.started
    at.button(key="job_cancel_Preparing").click().run()
    assert job.wait(WAIT) and job.cancelled == "Cancel was pressed"
    at.run()
    assert "The last one was cancelled: Cancel was pressed." in " ".join(w.value for w in at.warning)
    replacement = prepare_job(cfg.prep_key(), cfg.view.points)
    assert replacement is not job and not replacement.started
    # Start again, then the session goes away (its state dropped): the training stops with nobody waiting.
    at.button(key="job_start_Preparing").click().run()
    assert replacement.started and not at.exception
    del at
    gc.collect()
    assert replacement.wait(WAIT) and replacement.cancelled == "nobody was waiting for it any more"


def test_a_short_training_starts_without_asking(tiny_recipe):
    at = wait_until_prepared(open_page("pages/unlearn.py"))
    assert player_data(at)["lanes"] and not at.exception          # the player: the model and the map are ready
