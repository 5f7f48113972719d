"""The server's warm-up (app_ui/warm_up.py) prepares the very job that "Start: forget one digit" gets, and the
Start page says what it is doing; UMAP's compiled code is cached on disk (unlearn_core/compiled_umap.py).
Driven step by step: the warm-up's Job is waited on, never timed."""
from __future__ import annotations

import threading
from dataclasses import replace

from streamlit.testing.v1 import AppTest

from app_testing import APP, SMALL_MAP, TINY_EPOCHS, open_page
from app_ui import warm_up
from app_ui.jobs.background import Job
from app_ui.jobs.resources import prepare_job, reference_job
from app_ui.presets import FIRST_PRESET, preset_by_id
from unlearn_core.compiled_umap import load_umap


def test_umaps_own_numba_functions_cache_their_compiled_code_on_disk():
    from numba.core.caching import FunctionCache

    load_umap()
    import umap.layouts
    import umap.umap_

    for fit_step in (umap.layouts._nb_optimize_layout_euclidean_single_epoch, umap.umap_.smooth_knn_dist,
                     umap.umap_.compute_membership_strengths):
        assert isinstance(fit_step._cache, FunctionCache), fit_step


def test_the_warm_up_prepares_the_job_that_the_start_button_shares(monkeypatch, class_prep):
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)         # class_prep's original: in the model cache
    at = AppTest.from_file(str(APP)).run()            # a new session on the Start page, its URL empty
    # What the Start button gives it: the first preset applied to its configuration.
    assert preset_by_id(FIRST_PRESET).apply(at.session_state["app_config"]) == warm_up.first_story()
    story = warm_up.first_story()
    small = replace(story, view=replace(story.view, points=int(SMALL_MAP)))    # a small map: a quick fit
    monkeypatch.setattr(warm_up, "first_story", lambda: small)
    monkeypatch.setattr(warm_up, "FIRST_PAGE_GRACE_S", 0.0)       # no browser here to let finish drawing
    runner = warm_up.WarmUp()
    monkeypatch.setenv(warm_up.ENV, "1")
    runner.start()                    # the map's code compiles (here: loads from numba's cache) in a subprocess
    runner.page_drawn()
    assert runner.job.wait(300) and runner.job.ok, runner.job.why_not_ok
    assert runner.status().startswith("The first story is ready")
    prepared = prepare_job(small.prep_key(), small.view.points)       # what a click now finds: done, no new work
    assert prepared.done and prepared.ok and reference_job(small.prep_key(), prepared.result.prep).ok


def test_the_warm_up_lets_the_first_page_draw_and_a_cancel_ends_that_wait_at_once(monkeypatch):
    monkeypatch.setattr(warm_up, "FIRST_PAGE_GRACE_S", 3600.0)

    def story_asked_for():
        raise AssertionError("the warm-up went on to the story")
    monkeypatch.setattr(warm_up, "first_story", story_asked_for)
    job = Job("warm-up", lambda job: warm_up.warm_up_first_story(job, threading.Thread(), lambda: None)).start()
    while job.phase != "letting the first page finish drawing":
        assert not job.wait(0.05), job.why_not_ok        # it waits for the page, it does not end
    job.cancel("the server is exiting")
    assert job.wait(60) and not job.ok and "the server is exiting" in job.why_not_ok     # not the story's error


def test_the_warm_up_is_off_when_the_environment_says_so(monkeypatch):
    runner = warm_up.WarmUp()
    monkeypatch.setenv(warm_up.ENV, "0")
    runner.start()
    runner.page_drawn()
    assert runner.job is None and runner.status() is None


def test_the_start_page_says_what_the_warm_up_is_doing(monkeypatch):
    busy = Job("warm-up", lambda job: None)        # never started: still running, as far as the page can tell
    busy.set_phase("preparing the first story: the original model and its map")
    monkeypatch.setattr(warm_up.WARM_UP, "job", busy)
    at = open_page()
    lines = [c.value for c in at.caption if "first story" in c.value]
    assert lines and lines[0].startswith("Getting the first story ready in the background: preparing the first "
                                         "story: the original model and its map")


def test_a_compile_that_cannot_start_leaves_no_fit_waiting_for_it(monkeypatch):
    # A platform without subprocesses (or preexec support) raised from Popen: the halves' events must still be set,
    # or every map fit would wait SUBPROCESS_TIMEOUT_S for a compile that never ran.
    from unlearn_core import compiled_umap

    def refuse(*args, **kwargs):
        raise ValueError("no subprocesses here")
    monkeypatch.setattr(compiled_umap.subprocess, "Popen", refuse)
    assert compiled_umap.compile_in_subprocess() is False
    assert all(event.is_set() for event in compiled_umap._half_on_disk.values())
