"""A plotly chart that lives as long as the page: each live frame updates it in place (Plotly.react).

    show_chart(fig, key="map_chart", on_click=remember_clicked_point)   # the map: a click comes back
    show_chart(fig, key="accuracy_chart")                               # a curve chart
    clicked_point(key)          # in on_click: {"probe": probe position, or None for a double-click}

st.plotly_chart gives a chart a new identity whenever its figure changes (Streamlit hashes the figure into
the element's id), so every live frame was a new plot, built from scratch in the browser: the points
jumped instead of gliding (plotly's layout.transition animates from the previous frame, which a new plot
does not have), the map blinked out between frames, and the browser rebuilt four charts a tick.
`python -m bench.glide` measures it in Chromium (docs/RESULTS.md has the figures). This component
(assets/live_chart.js) keeps one plot per key and hands it each frame.

plotly.js comes from the installed plotly package (the version the figures are written for), copied once
into the app's static folder, which Streamlit serves (.streamlit/config.toml: server.enableStaticServing).
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import plotly
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "assets" / "live_chart.js"
STATIC_DIR = ROOT / "static"                  # next to app.py: Streamlit serves it at /app/static/
PLOTLY_JS = "plotly.min.js"
PLOTLY_URL = f"/app/static/{PLOTLY_JS}"


def _package_plotly_js() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / PLOTLY_JS


def ensure_static_plotly(static_dir: Path = STATIC_DIR) -> Path:
    """Copy the plotly package's plotly.min.js into the static folder unless a file of its size is there;
    written to a temporary file and renamed, so that a session opening meanwhile never reads half a file."""
    source, target = _package_plotly_js(), static_dir / PLOTLY_JS
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
    """The component, or None where plotly.js cannot be put where Streamlit serves it (a read-only install):
    then the charts are st.plotly_chart's (a new plot each frame: no glide, no clicks), and the log says why."""
    try:
        ensure_static_plotly()
    except OSError as err:
        logging.getLogger(__name__).warning("live charts fall back to st.plotly_chart: %s", err)
        return None
    return st.components.v2.component("unlearn_live_chart", js=SCRIPT.read_text(), isolate_styles=False)


def show_chart(fig: go.Figure, key: str, on_click: Callable[[], None] | None = None) -> None:
    """Draw `fig` in the plot kept under `key` (the same key every frame: that is what keeps the plot).
    on_click: called when a sample point (one with customdata) is clicked, or the plot double-clicked."""
    component = _component()
    if component is None:
        st.plotly_chart(fig, width="stretch", key=key)
        return
    data = {"figure": pio.to_json(fig, validate=False), "url": PLOTLY_URL, "clicks": on_click is not None}
    if on_click is None:
        component(data=data, key=key)
    else:
        component(data=data, key=key, on_click_change=on_click)


def clicked_point(key: str) -> dict | None:
    """The map's last click, read in the on_click callback: {"probe": int} or {"probe": None} (double-click)."""
    state = st.session_state.get(key)
    return getattr(state, "click", None) if state is not None else None
