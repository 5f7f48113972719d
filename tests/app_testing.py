"""Helpers for the AppTest page tests (streamlit.testing.v1): open a page of app.py with URL parameters,
wait for the background preparation, read the plotly figures a page drew, and stand in for the browser's
player (Browser, send: the events assets/player.js sends, docs/PLAYER.md)."""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"
TINY_EPOCHS = "6"            # = conftest.TINY_TRAIN: the app's digits model is the one the engine tests train
SMALL_MAP = "100"            # map points: UMAP lays out 100 points in well under a second once compiled
WAIT_SECONDS = 300           # the first UMAP fit in a process compiles numba (tens of seconds on a busy CPU)


def open_page(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=WAIT_SECONDS)
    at.query_params.update({"points": SMALL_MAP, **params})
    if page is not None:
        at.switch_page(page)
    return at.run()


def wait_until_prepared(at: AppTest) -> AppTest:
    """Rerun until no progress bar (a background job) is left on the page."""
    deadline = time.monotonic() + WAIT_SECONDS
    while at.get("progress") and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.get("progress"), "the page was still preparing after the time limit"
    return at


def figures(at: AppTest) -> list[dict]:
    """The page's st.plotly_chart figures (the live maps and curves are the player's: see player_data)."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


class Browser:
    """What the player holds, kept as assets/player.js keeps it (docs/PLAYER.md)."""

    def __init__(self):
        self.static_id, self.lanes, self.ids = None, {}, []

    def take(self, data: dict) -> None:
        if data["static"] is not None:
            self.static_id = data["static"]["id"]
        self.ids = [lane["id"] for lane in data["lanes"]]
        for lane in data["lanes"]:
            held = self.lanes.setdefault(lane["id"], [])
            if lane["offset"] <= len(held):
                held.extend(lane["frames"][len(held) - lane["offset"]:])

    def have(self) -> dict:
        return {"static": self.static_id, "lanes": {k: len(v) for k, v in self.lanes.items()}}

    def frames(self, lane: int = 0) -> list[dict]:
        return self.lanes[self.ids[lane]]


def player_data(at) -> dict:
    """The data the page last handed to the player component."""
    [data] = [json.loads(c.proto.json) for c in at.get("bidi_component")
              if c.proto.component_name.endswith("unlearn_player")]
    return data


def send(at, browser: Browser, kind: str, key: str = "unlearn.player", **extra) -> dict:
    """The browser sends an event (docs/PLAYER.md) and takes what the page answers."""
    at.session_state[f"{key}.event"] = {"kind": kind, "have": browser.have(), **extra}
    at.run()
    data = player_data(at)
    browser.take(data)
    return data


def trace_names(figure: dict) -> list[str]:
    return [trace.get("name") for trace in figure["data"]]


def step_line(at: AppTest) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("**Step")), "")


def values(data) -> np.ndarray:
    """A plotly JSON array: plotly 6+ writes numpy arrays as {"dtype", "bdata" (base64), "shape"}."""
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        shape = data.get("shape")
        return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
    return np.asarray(data)
