"""A guard for a fragment that reruns on a timer (st.fragment(run_every=...)): when the browser hears no
run of it for a while, the whole page reruns, which registers the fragment again and restarts its timer.

    guard_fragment("live_view", every)     # outside the fragment, in the page's run (every: None = idle)
    @st.fragment(run_every=every)
    def live():
        ...
        fragment_beat("live_view")         # last thing in every run of the fragment that finishes

Why: Streamlit keeps a run_every timer in the browser and the fragment in the server's session, and under
load the two fell out of step. With ten sessions on 2 busy cores (tests/test_browser_sessions.py), the
browsers' timers of six sessions went on asking for the live view's fragment four times a second after the
server had dropped it (its log: "The fragment with id ... does not exist anymore", ignored each time), so
those pages stood still, showing a running run at step 0 or 1, until reloaded: 3 of 4 runs of that test
failed so. The guard's rerun is a whole-page run (the guard is outside every fragment), which Streamlit
always honours. A slow server only makes the guard rerun the page now and then: a rerun costs one page
run and changes no state. The beat is the fragment's last element, so only a finished run counts, and each
rerun that brings no beat doubles the guard's wait: a rerun request stops the page's run in progress, so on
a server too busy to finish one within the wait, a guard at a fixed period cut every run short (seen: 6
pages standing at step 1 while their page runs restarted every 8 s, with 3 busy loops on the 2 cores).
For the same reason it does not fire while the page shows one of its scripts running (Streamlit's
"Running..." icon): that is a slow server, and a lost timer leaves the session with no run at all.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import streamlit as st

SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "fragment_guard.js"
MIN_STALL_SECONDS = 8.0       # no run of the fragment for this long is a stall (ten timer periods at least)
STALL_PERIODS = 10
MAX_STALL_SECONDS = 120.0     # the longest wait the guard's doubling reaches
# Both halves draw nothing; their element containers (Streamlit's st-key-<key> class) take no room either.
HIDE_CSS = """<style>
[class*="st-key-fragment_guard_"], [class*="st-key-fragment_beat_"] { display: none; }
</style>"""

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _component():
    return st.components.v2.component("unlearn_fragment_guard", js=SCRIPT.read_text(), isolate_styles=False)


def stall_seconds(every: float) -> float:
    return max(MIN_STALL_SECONDS, STALL_PERIODS * every)


def guard_fragment(name: str, every: float | None) -> None:
    """Outside the fragment `name`: while it ticks (every: its run_every in seconds), rerun the page when
    no beat came for stall_seconds(every). every=None: the fragment is not timed, the guard sleeps."""
    st.html(HIDE_CSS)
    stall = stall_seconds(every or 0.0)
    data = {"role": "guard", "name": name, "active": every is not None, "stall_ms": round(1000 * stall),
            "max_stall_ms": round(1000 * max(stall, MAX_STALL_SECONDS))}
    _component()(data=data, key=f"fragment_guard_{name}", on_stalled_change=lambda: _stalled(name, stall))


def fragment_beat(name: str) -> None:
    """Last in the fragment `name`, in every run that gets there: one beat for its guard."""
    counter = f"fragment_beats_{name}"
    st.session_state[counter] = st.session_state.get(counter, 0) + 1     # new data: the browser hears it
    _component()(data={"role": "beat", "name": name, "count": st.session_state[counter]},
                 key=f"fragment_beat_{name}")


def _stalled(name: str, stall: float) -> None:
    # A warning: each one is a timer Streamlit lost (or a server too slow to run the fragment in time).
    log.warning("fragment %s: no run for %g s or more; the page reruns to restart its timer", name, stall)
