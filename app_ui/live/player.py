"""The player: one Streamlit component (assets/player.js) that plays recordings in the browser.

    render_player("unlearn.player", prepared, [Lane(rec, "Contrastive", "contrastive")], look,
                  autoplay=False, get_target=lambda: None, below=draw_point_details)

The browser owns the clock (Run/Pause, Step, Replay, Reset, speed, the timeline, the glide, hover and
click); docs/PLAYER.md has the protocol. This module only answers the browser's events, inside one
st.fragment so that an event reruns the player alone and not the page:
- "want": send the frames the browser lacks (it says what it has; nothing is ever sent twice on purpose,
  and a frame lost on the way is sent again because the next event says it is missing). Under
  `streamlit run serve.py` the browser fetches them from feed_route.py's route instead, with no rerun;
- "run" / "step": start the lanes' recordings (the engine then runs at its own pace);
- "select": a clicked sample (the page draws its details under the player, `below`);
- "end": playback reached the end of a finished run: the whole page reruns once (the results).
A finished run's replay, scrubbing and speed changes send no event at all.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable

import plotly
import streamlit as st

from ..classroom import Presentation
from .feed_route import FEEDS, FeedSource
from .payload import Lane, player_data
from .prepared_map import PreparedMap
from .recording import RECORDINGS
from .retrain_target import RetrainTarget

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "assets" / "player.js"
STATIC_DIR = ROOT / "static"                  # next to app.py: Streamlit serves it at /app/static/
PLOTLY_JS = "plotly.min.js"
PLOTLY_URL = f"/app/static/{PLOTLY_JS}"
log = logging.getLogger(__name__)


def ensure_static_plotly(static_dir: Path = STATIC_DIR) -> Path:
    """Copy the plotly package's plotly.min.js (the version the app is written for) into the static folder
    unless a file of its size is there; written to a temporary file and renamed, so that a session opening
    meanwhile never reads half a file."""
    source, target = Path(plotly.__file__).resolve().parent / "package_data" / PLOTLY_JS, static_dir / PLOTLY_JS
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return target
    static_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=static_dir, prefix=".plotly-", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)          # mkstemp's file is private; this one is served to every browser
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@lru_cache(maxsize=1)
def _component():
    ensure_static_plotly()
    js = SCRIPT.read_text() + "\nexport default function (component) { return unlearnPlayerComponent(component); }\n"
    return st.components.v2.component("unlearn_player", js=js, isolate_styles=False)


def _on_event(key: str) -> None:
    """The component's callback (runs before the fragment): keep the event for the fragment's run."""
    state = st.session_state.get(key)
    event = state.get("event") if state is not None else None
    if event:
        st.session_state[f"{key}.event"] = dict(event)


def selected_point(key: str) -> dict | None:
    """The clicked sample: {"probe": position in the probe set, "step": the shown step}, or None."""
    return st.session_state.get(f"{key}.selected")


def render_player(key: str, prepared: PreparedMap, lanes: list[Lane], look: Presentation, *,
                  autoplay: bool = False, get_target: Callable[[], RetrainTarget | None] = lambda: None,
                  get_overlay: Callable[[], dict | None] = lambda: None,
                  below: Callable[[], None] | None = None) -> None:
    """The player, in a fragment; `below` draws under it in the same fragment (a click's details).
    get_overlay: an optional colouring of the forget samples, one score per probe point (docs/PLAYER.md)."""
    if autoplay:                       # a preset's "Start": the engine starts now, the browser plays once
        for lane in lanes:
            lane.rec.start()
        st.session_state[f"{key}.autoplay"] = True

    @st.fragment
    def player() -> None:
        event = st.session_state.pop(f"{key}.event", None)
        sent = st.session_state.setdefault(f"{key}.sent", {"static": None, "lanes": {}, "served": 0})
        # Where the browser fetches new frames without a rerun, under `streamlit run serve.py` (feed_route.py); the
        # session keeps the source alive.
        token = st.session_state.setdefault(f"{key}.feed", secrets.token_urlsafe(16))
        source = st.session_state[f"{key}.feed_source"] = FeedSource(prepared, tuple(lanes), look)
        feed_url = FEEDS.publish(token, source)
        if event is not None:
            _apply_event(key, event, sent, lanes)
        else:            # a rerun of the page: the frames the route has answered with are not sent again
            for lane_id, count in FEEDS.answered(token).items():
                sent["lanes"][lane_id] = max(sent["lanes"].get(lane_id, 0), count)
        data = player_data(prepared, lanes, look, sent, get_target(), plotly_url=PLOTLY_URL, feed_url=feed_url)
        data["autoplay"] = st.session_state.pop(f"{key}.autoplay", False)
        data["overlay"] = get_overlay()
        _component()(data=data, key=key, on_event_change=partial(_on_event, key))
        failed = [lane for lane in lanes if lane.rec.error is not None]
        for lane in failed:
            st.error(f"{lane.title}: the run failed: {lane.rec.error}")
        if failed and st.button("Try again", key=f"{key}.retry"):
            for lane in failed:
                RECORDINGS.drop(lane.rec)
            st.rerun(scope="app")
        if below is not None:
            below()

    player()


def _apply_event(key: str, event: dict, sent: dict, lanes: list[Lane]) -> None:
    have = event.get("have") or {}
    # The browser's word is the truth about what it holds: a payload it never drew is sent again.
    sent["static"] = have.get("static")
    sent["lanes"] = {str(k): int(v) for k, v in (have.get("lanes") or {}).items()}
    kind = event.get("kind")
    if kind in ("run", "step"):
        for lane in lanes:
            lane.rec.start()
    elif kind == "select":
        probe = event.get("probe")
        st.session_state[f"{key}.selected"] = None if probe is None else {"probe": int(probe),
                                                                          "step": int(event.get("step") or 0)}
    elif kind == "end":
        st.rerun(scope="app")          # the results below the player are drawn by the whole page
