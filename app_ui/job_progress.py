"""A progress bar that follows a background Job (app_ui/background.py) and reloads the page when it ends."""
import streamlit as st

from .background import Job

POLL_SECONDS = 0.5      # how often the bar looks at the job: smooth enough, cheap for the server


def wait_for_job(job: Job, title: str) -> None:
    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if job.done:
            st.rerun(scope="app")
        fraction = job.fraction()
        # A phase without a fraction (the UMAP fit) shows its running time, so the page visibly moves on.
        detail = (f" ({job.steps_done}/{job.steps_total} steps)" if fraction is not None
                  else f" ({job.phase_seconds():.0f} s)")
        st.progress(fraction or 0.0, text=f"{title}: {job.phase}{detail}")
    poll()
