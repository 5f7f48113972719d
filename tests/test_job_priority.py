"""A background job's thread lowers its own priority, and only its own (app_ui/jobs/priority.py)."""
from __future__ import annotations

import os
import sys
import threading

import pytest

from app_ui.jobs.background import Job
from app_ui.jobs.priority import BACKGROUND_NICENESS, lower_this_thread


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_job_thread_is_lowered_and_the_server_thread_is_not():
    before = niceness()
    job = Job("reference", lambda job: (lower_this_thread(), niceness())).start()
    assert job.wait(30) and job.ok
    lowered, seen = job.result
    assert lowered and seen == max(before, BACKGROUND_NICENESS)
    assert niceness() == before                     # the caller (Streamlit's thread) keeps its priority


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_a_thread_already_nicer_keeps_its_niceness():
    def work(job):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 15)
        lower_this_thread()
        return niceness()
    job = Job("reference", work).start()
    assert job.wait(30) and job.result == 15
