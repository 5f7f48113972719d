"""Classroom mode in a real browser at a projector's 1280x720: a preset opened with ?present=1 shows no
sidebar and no settings, keeps the run's controls and the timeline, fits the map and the accuracy curves
on the first screen, and shows the preset's captions as playback (live, then a replay) reaches them.
Waits for what the page shows, never for a fixed time."""
from __future__ import annotations

from contextlib import closing
from html import escape
from pathlib import Path

import pytest

from browser_helpers import screenshot_on_failure
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, server  # noqa: F401 (a fixture)

from app_ui.classroom import CAPTION_CLASS
from app_ui.presets import preset_by_id
from app_ui.live.story import Moment

PRESET = "forget-digit"
MAP_POINTS = 200
PREPARE_MS = 480_000          # a cold server trains the short recipe and compiles UMAP first, on a shared CPU
SCREEN = {"width": 1280, "height": 720}
# The first screen's charts: the map (with its clicked-point panel, none here) and the accuracy curves.
CHART_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].slice(0, 2).map(el => {
  const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })"""


def sent_caption(text: str) -> bytes:
    """How a caption's start travels in the page's messages (HTML-escaped, UTF-8)."""
    return escape(text[:60], quote=False).encode()


@pytest.mark.browser
def test_a_preset_presented_fits_the_screen_and_tells_its_story(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium or set CHROMIUM")
    base, log = server
    captions = {c.at: c.text for c in preset_by_id(PRESET).captions}
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=SCREEN)
        # Every message the server sent, in order: a caption shown for a tick or two is read off the
        # websocket, whatever the machine's speed (the browser may never paint a frame a busy tab skips).
        sent: list[bytes] = []
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: sent.append(payload if isinstance(payload, bytes) else payload.encode())))

        def caption(moment: Moment):
            return page.locator(f".{CAPTION_CLASS}", has_text=captions[moment])
        with closing(browser), screenshot_on_failure(page, "classroom_failure.png", log):
            page.goto(f"{base}/unlearn?preset={PRESET}&points={MAP_POINTS}&present=1", timeout=TIMEOUT_MS)
            run = page.get_by_role("button", name="Run", exact=True)
            run.wait_for(timeout=PREPARE_MS)
            caption(Moment.START).wait_for(timeout=30_000)                  # the story starts before Run

            # No sidebar, no settings: only the run's controls.
            assert not page.get_by_test_id("stSidebar").is_visible()
            assert page.get_by_test_id("stExpandSidebarButton").count() == 0 or \
                not page.get_by_test_id("stExpandSidebarButton").is_visible()
            assert page.get_by_role("spinbutton").count() == 0                 # no number input anywhere
            assert page.get_by_role("button", name=preset_by_id(PRESET).title).count() == 0   # no preset bar
            for name in ("Reset", "Step", "Replay"):
                assert page.get_by_role("button", name=name, exact=True).is_visible(), name

            before_run = len(sent)
            run.click()
            page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=TIMEOUT_MS)
            page.get_by_text("stopped: terminated").wait_for(timeout=TIMEOUT_MS)
            caption(Moment.STOP).wait_for(timeout=TIMEOUT_MS)        # the last caption stays on the page
            # Every caption was sent during the live run, each moment's in the order of its step.
            story = [c for c in preset_by_id(PRESET).captions if c.at != Moment.START]
            first_sent = {c.at: next((i for i, data in enumerate(sent[before_run:]) if sent_caption(c.text) in data),
                                     None) for c in story}
            assert None not in first_sent.values(), first_sent
            timeline = page.get_by_test_id("stSlider")
            assert timeline.is_visible() and "Timeline" in timeline.inner_text()

            # The map and the accuracy curves, drawn, within the first screen.
            page.wait_for_function(
                "(n) => { const plots = document.querySelectorAll('.js-plotly-plot');"
                " return plots.length >= 2 && plots[0].querySelectorAll('.scatterlayer path.point').length >= n"
                " && plots[1].querySelectorAll('.scatterlayer path.point').length > 0; }",
                arg=MAP_POINTS, timeout=30_000)
            page.evaluate("() => window.scrollTo(0, 0)")
            assert page.evaluate("() => window.scrollY") == 0
            page.screenshot(path=str(ARTIFACTS / "classroom_stopped.png"))
            boxes = page.evaluate(CHART_BOXES)

            # A replay starts the story again from step 0.
            page.get_by_role("button", name="Replay", exact=True).click()
            caption(Moment.START).wait_for(timeout=TIMEOUT_MS)

    assert len(boxes) == 2, boxes
    for box in boxes:
        assert box["bottom"] - box["top"] > 200 and box["right"] - box["left"] > 300, boxes     # charts, not slivers
        assert 0 <= box["top"] and box["bottom"] <= SCREEN["height"], boxes
        assert 0 <= box["left"] and box["right"] <= SCREEN["width"], boxes
