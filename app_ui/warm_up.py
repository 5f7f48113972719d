"""The server's warm-up: from the first page load of a process, the first story ("Start: forget one digit") is
prepared in the background, so that the click finds its model and its map ready.

    WARM_UP.start()          # app.py, before every page: the map's code compiles from now, once per process
    WARM_UP.page_drawn()     # app.py, after every page: the rest starts (off, both, when UNLEARN_WARM_UP=0)
    WARM_UP.job              # its background Job (phase, done), or None when off or not started
    WARM_UP.status()         # one line for the Start page, or None

Why at the first page load: `streamlit run` gives an app no hook at server start, and it opens the browser on
the Start page itself, so on a laptop the first page load is the server's first second.

From the first run of app.py: UMAP's code compiles in two separate processes (compiled_umap: 16 and 20 s on a
fresh machine, 3 s once its disk cache holds it; the longer one, which no first map waits for, at a lower
priority) while the first page draws and the original trains. Then,
once the first page is drawn (and FIRST_PAGE_GRACE_S later: the browser is still fetching the page's code),
in one Job:
1. the story's prepare job, the very job that the Start button's session gets (same JobBoard key): the
   original trained or loaded, the map laid out, the optimiser warmed up. A job that this device estimates at
   minutes waits for a user's Start, as for any session: the warm-up then leaves it alone;
2. the map's code, once compiled, loaded in this process (so that a new class lays out its map in a second);
3. its retrain reference (the results' baseline and the map's retrain stars).
The Start page's estimates (background_estimates: FLOPs counted, this device's speed timed) are paused until
the story's map is ready, so as not to share the CPU with it.
The warm-up holds the jobs it waits for (Job.hold), so a session leaving the page cancels none of them.
"""
from __future__ import annotations

import os
import threading
from typing import Callable

from unlearn_core.compiled_umap import compile_in_background, warm_up_fit

from .app_config import AppConfig
from .background_estimates import ESTIMATES
from .jobs.background import Job
from .presets import FIRST_PRESET, preset_by_id

ENV = "UNLEARN_WARM_UP"          # "0": no warm-up (the tests' servers: they prepare what each test needs)
# How long the warm-up lets the first page finish drawing before it loads the engine. The script's run is over well
# before the browser has drawn the page: the browser then still asks this server for the code of each kind of
# element it shows (Streamlit's frontend loads it per element type), and importing torch in this process holds
# the GIL for about a second, which delayed those files. The Start page's first render on a fresh server: 3.0-3.8 s
# with the warm-up starting at once, 2.3-3.2 s with this wait; a bare one-button Streamlit page 1.3-1.5 s (4 fresh
# servers each, alternating, 2 shared cores, load average 4-7; what `python -m bench.first_minute --start-page`
# times). A click meanwhile starts its own preparation at once; UMAP's compile (a subprocess) does not wait.
FIRST_PAGE_GRACE_S = 2.0


def first_story() -> AppConfig:
    """The configuration that "Start: forget one digit" gives a new session (whose URL says nothing)."""
    return preset_by_id(FIRST_PRESET).apply(AppConfig())


def warm_up_first_story(job: Job, compiling: threading.Thread, story_ready: Callable[[], None]) -> None:
    """The warm-up's work, once the first page is drawn; `compiling`: the map code's compile (compiled_umap);
    `story_ready()` is called once the story's map is ready (or cannot be)."""
    # The engine (torch, scikit-learn) loads here, in the warm-up's thread, once the first page is drawn: the Start
    # page itself imports none of it (issue 22), so it never waits for this import.
    job.set_phase("letting the first page finish drawing")
    job.sleep(FIRST_PAGE_GRACE_S)
    from .jobs.resources import prepare_job, reference_job

    cfg = first_story()
    key, points = cfg.prep_key(), cfg.view.points
    job.set_phase("preparing the first story: the original model and its map")
    prepared = _wait_for(prepare_job(key, points), job)
    story_ready()
    # Before the reference: its metrics and evidence keep the GIL busy for seconds, even with its model cached,
    # while a visitor who opens another class right after a restart needs the map's code (measured: 10 s to
    # that class's first map with this step after the reference).
    job.set_phase("loading the map's compiled code")
    while compiling.is_alive():
        job.check_cancelled()         # the process is exiting: it waits for running jobs (background.py)
        compiling.join(0.5)
    warm_up_fit()
    if prepared is not None:
        job.set_phase("retraining the reference without the forget set")
        _wait_for(reference_job(key, prepared.prep), job)


def _wait_for(work: Job, job: Job):
    """The result of `work` once it is done, held meanwhile; None when it waits for a user's Start or failed."""
    if not work.started:
        return None
    hold = work.hold()
    try:
        job.wait_for(work)
        return work.result if work.ok else None
    finally:
        hold.release()


class WarmUp:
    def __init__(self):
        self.job: Job | None = None
        self._compiling: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Once per process: the map's code starts compiling; the Job waits for page_drawn()."""
        if os.environ.get(ENV, "1").strip() == "0":
            return
        with self._lock:
            if self.job is not None:
                return
            self._compiling = compile_in_background()
            self.job = Job("warm-up", self._run)
        ESTIMATES.pause()       # the first page queues its estimates; they wait for the story (_run)

    def page_drawn(self) -> None:
        if self.job is not None:
            self.job.start()    # a no-op from the second call on

    def _run(self, job: Job) -> None:
        resumed = threading.Event()

        def resume_estimates() -> None:
            if not resumed.is_set():
                resumed.set()
                ESTIMATES.resume()
        try:
            warm_up_first_story(job, self._compiling, story_ready=resume_estimates)
        finally:
            resume_estimates()

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    def status(self) -> str | None:
        job = self.job
        if job is None:
            return None
        if not job.done:
            return (f"Getting the first story ready in the background: {job.phase} "
                    f"({job.phase_seconds():.0f} s). Start now and it carries on from there.")
        if job.ok:
            return f"The first story is ready (prepared in the background in {job.seconds:.0f} s)."
        return f"Preparing the first story in the background stopped ({job.why_not_ok}); Start prepares it."


WARM_UP = WarmUp()
