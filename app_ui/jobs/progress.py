"""A progress bar that follows a background Job (app_ui/background.py) and reloads the page when it ends.

    wait_for_job(job, "Preparing")     # the page then calls st.stop(); it reruns when the job is done

While the job runs: its phase, a bar, the time left, and Cancel. A job that waits for a Start click (its
training was estimated to take minutes here, or an earlier one was cancelled) shows the estimate and
Start instead. The session holds the job while it waits (Job.hold, kept in its session state): when the
session ends its state is dropped, and a job that no other session holds is cancelled.
"""
import streamlit as st

from .background import Job
from ..durations import duration

POLL_SECONDS = 0.5      # how often the bar looks at the job: smooth enough, cheap for the server
HOLDS_KEY = "job_holds"


def wait_for_job(job: Job, title: str) -> None:
    holds = st.session_state.setdefault(HOLDS_KEY, {})
    if title not in holds or holds[title].job is not job:
        holds[title] = job.hold()       # replacing a hold releases the one for the job this session left
    started = job.started

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if job.done or job.started != started:
            st.rerun(scope="app")
        if not started:
            _ask_to_start(job, title)
            return
        fraction = job.fraction()
        left = job.seconds_left()
        # A phase without a fraction (the UMAP fit) shows its running time, so the page visibly moves on.
        detail = (f" ({job.steps_done}/{job.steps_total} steps" + (f", about {duration(left)} left)" if left else ")")
                  if fraction is not None else f" ({job.phase_seconds():.0f} s)")
        st.progress(fraction or 0.0, text=f"{title}: {job.phase}{detail}")
        st.button("Cancel", key=f"job_cancel_{title}", on_click=job.cancel, args=("Cancel was pressed", True),
                  help="Stops the work at its next step (for every session waiting for it); nothing half-done "
                       "is saved.")
    poll()


def _ask_to_start(job: Job, title: str) -> None:
    long = job.estimate is not None and not job.estimate.cached
    said = [f"{job.estimate.describe()}."] if long else []
    if job.previous_cancel:
        said.insert(0, f"The last one was cancelled: {job.previous_cancel}.")
    st.warning(f"{title}: " + " ".join(said or ["waiting to start."]) +
               (" Start it, or pick a smaller model in the sidebar (cnn trains in seconds)." if long
                else " Start runs it again."))
    st.button("Start", key=f"job_start_{title}", on_click=job.start, type="primary")
