"""Work nobody is watching yields the CPU to work somebody is.

    lower_this_thread()      # first line of a background job's work (the retrain reference)

On a shared 2-core machine the retrain reference trains while five students' browsers play their runs; at equal
priority it takes CPU from the engines' recordings and the browsers' drawing, and every class's playback slows
(bench/sessions.py measures it). A thread with a higher nice value still uses every idle cycle, so the
reference is not later when the machine is idle.

Linux gives each thread its own nice value (setpriority on the thread's id), and an unprivileged thread may
raise its own; job threads end with their work, so nothing needs lowering back. The app runs one torch thread
(app.py), so the job's thread is where its compute happens. Elsewhere (no thread nice values) it does nothing.
"""
from __future__ import annotations

import os
import threading

BACKGROUND_NICENESS = 10


def lower_this_thread(niceness: int = BACKGROUND_NICENESS) -> bool:
    """Give the calling thread at least `niceness`; True where the system did so."""
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, tid, niceness)
        return True
    except (AttributeError, OSError):       # no per-thread priorities here: the work runs as it is
        return False
