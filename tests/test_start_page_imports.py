"""The Start page draws before the engine is loaded (issue 22, point 2: it renders in under 2 s on a fresh server,
and importing torch alone took about 2 s of its first render). Its path, serve.py (loaded at server start: with
torch on its path the Start page took 3.1-4.2 s), app.py, the sidebar and the page, imports
none of torch, scikit-learn, SciPy, UMAP, numba, pandas or numpy (numpy's import took about 0.1 s of a fresh
server's first run): what needs them runs in the background.

Checked in a fresh interpreter, since this test process has torch loaded already (conftest). The server's warm-up
is off (conftest's UNLEARN_WARM_UP=0), and the first-visit estimates are paused as the warm-up pauses them on a
server: their own thread imports torch once they run, which is the point of them being in the background.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "sklearn", "scipy", "umap", "numba", "pandas", "numpy")

RENDER = """
import json, sys

import serve          # what `streamlit run serve.py` loads at server start: the feed route (app_ui/live/feed_route.py)
from streamlit.testing.v1 import AppTest

from app_ui.background_estimates import ESTIMATES

ESTIMATES.pause()
at = AppTest.from_file("app.py", default_timeout=120).run()     # the default configuration: a new visitor's
print(json.dumps({{
    "exception": [str(e.value) for e in at.exception],
    "buttons": [b.key for b in at.button],
    "subheaders": [h.value for h in at.subheader],
    "estimates_queued": ESTIMATES.pending,
    "loaded": [name for name in {heavy} if name in sys.modules],
}}))
"""


def test_rendering_the_start_page_imports_no_torch_nor_other_heavy_libraries():
    # (Not yet for a torchvision dataset: its sidebar line loads torchvision for the file list, download.status.)
    done = subprocess.run([sys.executable, "-c", RENDER.format(heavy=repr(HEAVY))], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    page = json.loads(done.stdout.strip().splitlines()[-1])
    assert not page["exception"]
    # The page was drawn whole: the Start button, the preset cards (whose estimates were queued, not computed),
    # the last section and the sidebar's settings.
    assert "start" in page["buttons"] and "open_paper-cifar10" in page["buttons"]
    assert {"What to look at", "Experiment"} <= set(page["subheaders"])
    assert page["estimates_queued"]
    assert page["loaded"] == []


THREADS = """
import json, threading

from unlearn_core.devices import configure_threads_once

first = configure_threads_once({count})
import torch

in_thread = []
worker = threading.Thread(target=lambda: in_thread.append(torch.get_num_threads()))
worker.start()
worker.join()
print(json.dumps({{"first": first, "main": torch.get_num_threads(), "thread": in_thread[0],
                  "again": configure_threads_once(1)}}))
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: torch would pick 1 thread by itself")
def test_the_thread_count_that_app_py_sets_before_torch_loads_is_the_one_torch_runs_with():
    # app.py sets it (1) on a first run that loads no torch: it must still hold in every thread once torch loads.
    count = 1            # by itself torch takes every core (MKL caps a thread's count at the cores: no more)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "UNLEARN_THREADS")}
    done = subprocess.run([sys.executable, "-c", THREADS.format(count=count)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # Once per process: a later run of app.py changes nothing (nor waits for a torch import in progress).
    assert found == {"first": count, "main": count, "thread": count, "again": count}
