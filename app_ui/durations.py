"""A duration in words, for the progress bars and the estimates: "40 s", "12 min".

Its own module, without torch: the progress bar (jobs/progress.py) and the Start page's estimate lines import it,
and the Start page loads none of the engine (issue 22); cost_estimate.py, which imports torch, says its
estimates with it too.
"""
from __future__ import annotations


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
