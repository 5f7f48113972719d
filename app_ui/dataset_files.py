"""The sidebar's dataset files line: present, or a "Download (size)" button with a progress bar and Cancel.

    render_dataset_files(cfg)      # in the sidebar, under the experiment's settings

For the torchvision datasets (unlearn_core.download.DOWNLOADABLE) only (Fashion-MNIST is also found where
Debian's package `dataset-fashion-mnist` puts it, and the line says so): digits ships with scikit-learn,
and mini-imagenet is an image folder the user puts in place. The download runs in a background Job,
shared by every session asking for the same dataset and folder (st.cache_resource), so two tabs do not
fetch twice and closing a tab does not leave half a dataset (the engine stages and renames). When it
ends, the failed preparation (files missing) is dropped so the page prepares again and continues.
$UNLEARN_DATASET_MIRROR changes the source (how the tests serve small files from 127.0.0.1).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from unlearn_core import UserInputError
from unlearn_core.configs import resolve_data_dir
from unlearn_core.download import DOWNLOADABLE, DownloadCancelled, fetch, megabytes, status
from unlearn_core.idx_files import install_hint

from .app_config import AppConfig
from .jobs.background import Job
from .jobs.progress import wait_for_job

CANCELLED = "cancelled"      # the job's result when Cancel stopped it (nothing was written)


class Download:
    """A download Job. Its progress bar's one Cancel button (jobs/progress.py) cancels the job, which the
    engine checks between chunks: nothing half-written is left."""

    def __init__(self, name: str, folder: Path):
        self.job = Job(f"download {name}", lambda job: self._work(job, name, folder))

    def _work(self, job: Job, name: str, folder: Path):
        job.set_phase(f"downloading {name} into {folder}")
        try:
            return fetch(name, folder, progress=job.progress, cancel=lambda: job.cancel_requested)
        except DownloadCancelled:
            return CANCELLED


@st.cache_resource(max_entries=8, show_spinner=False)
def download(name: str, folder: str) -> Download:
    return Download(name, Path(folder))


def _start(name: str, folder: str) -> None:
    if download(name, folder).job.done:      # a failed try is kept (its message stays) until the next one
        _forget(name, folder)
    download(name, folder).job.start()


def _forget(name: str, folder: str) -> None:
    download.clear(name, folder)


def render_dataset_files(cfg: AppConfig) -> None:
    name = cfg.data.dataset
    if name not in DOWNLOADABLE:
        return
    folder = resolve_data_dir(cfg.data)
    files = status(name, folder)
    task = download(name, str(folder))
    job = task.job
    if job.started_at is not None and not job.done:
        wait_for_job(job, f"Fetching {name}")
        return
    if job.done:
        _finished(task, cfg, name, folder)
        files = status(name, folder)
    if files.present:
        st.caption(f"✓ {name} files present in `{files.where}`")
        return
    install = install_hint(name)
    st.caption(f"{name} files not on this machine (in `{folder}`)." + (
        f" Offline, Debian's package has them: `{install}`." if install else ""))
    st.button(f"Download ({megabytes(files.fetch_bytes)})", key="download_start", on_click=_start,
              args=(name, str(folder)), type="primary", width="stretch",
              help="Fetches torchvision's files, checks their checksums and unpacks them into the data folder; "
                   "a failure or Cancel leaves nothing behind.")


def _finished(task: Download, cfg: AppConfig, name: str, folder: Path) -> None:
    """Say how the last download ended: success or cancel once, a failure until the next try."""
    job = task.job
    cancelled = job.cancelled is not None or (job.ok and job.result == CANCELLED)
    if job.ok or cancelled:     # said once: the next run offers a fresh download (or sees the files)
        _forget(name, str(folder))
    if cancelled:
        st.info("Download cancelled; nothing was written.")
    elif job.ok:
        st.success(f"{name} downloaded.")
        # Imported here: jobs.resources loads the engine (torch), which the sidebar otherwise never needs (issue 22).
        from .jobs.resources import retry_prepare

        try:   # the page's preparation failed for want of these files: prepare again, now that they are here
            retry_prepare(cfg.prep_key(), cfg.view.points)
        except UserInputError:
            pass        # a setting the page itself reports
    else:
        # One line; offline, the engine's message names the files, the folder and the CLI command.
        st.error(job.error or "The download failed unexpectedly (a bug, not the network).")
        install = install_hint(name)
        st.caption(f"Offline? Put the files in `{folder}` and run `python -m unlearn_core download {name} "
                   f"--data-dir {folder}`" + (f", or install Debian's package: `{install}`" if install else "")
                   + ", or pick **digits**: it works offline.")
