"""Click a point, in a real browser: a click on a forget sample of the map opens the panel under it (the sample's
image, its prediction, its five nearest neighbours' images), and a double-click on the map closes it (plotly.js
ignores a single click on empty space: app_ui/point_details.py).

Before Run the map is the original model's (step 0), which is enough to test the click and keeps the test short:
no unlearning runs. The map has 300 points like tests/test_browser.py's, whose layout (cached on disk) it reuses.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from browser_helpers import ARTIFACTS, TIMEOUT_MS, browser, screenshot_on_failure, server  # noqa: F401 (fixtures)
from unlearn_core import make_split
from unlearn_core.projection import map_for

MAP_POINTS = 300
PANEL = ".clicked-point"


@pytest.fixture
def cached_map(class_prep):
    """The default experiment's original model and its 300-point map in the session's disk cache, so that the
    server reads both rather than train and fit UMAP (compiling numba) in its own process: this process has
    compiled it already when the AppTest files ran first, as in the whole suite."""
    map_for(replace(class_prep, split=make_split(class_prep.data, class_prep.exp.forget, probe_size=MAP_POINTS)))


@pytest.mark.browser
def test_clicking_a_sample_shows_its_neighbours_and_a_double_click_clears_them(cached_map, server,  # noqa: F811
                                                                              browser):  # noqa: F811
    base, log = server
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    with screenshot_on_failure(page, "unlearn_click_failure.png", log):
        page.goto(f"{base}/unlearn?points={MAP_POINTS}", timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Run", exact=True).wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(
            "(n) => { const p = document.querySelector('.js-plotly-plot');"
            " return p && p.querySelectorAll('.scatterlayer path.point').length >= n; }", arg=MAP_POINTS,
            timeout=60_000)
        plot = page.locator(".js-plotly-plot").first
        # The forget samples (diamonds) are the map's last scatter trace.
        sample = plot.locator(".scatterlayer .trace").last.locator("path.point").first
        traces = plot.locator(".scatterlayer .trace").count()
        box = sample.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        panel = page.locator(PANEL)
        panel.wait_for(timeout=30_000)
        # The same rerun redraws the map with a ring around the sample (one more trace): wait for it, so that
        # the double-click below lands on a settled plot, not on one Plotly.react is redrawing (seen in CI: a
        # double-click lost under load, the panel never cleared).
        page.wait_for_function(
            "(n) => document.querySelector('.js-plotly-plot').querySelectorAll('.scatterlayer .trace').length > n",
            arg=traces, timeout=30_000)
        text = panel.inner_text()
        assert "(forget sample)" in text and "true class 5" in text and "at step 0" in text, text
        assert "5 nearest in the embedding space at step 0" in text, text
        assert panel.locator("img").count() == 6
        assert panel.locator("img").first.get_attribute("src").startswith("data:image/png;base64,")
        page.screenshot(path=str(ARTIFACTS / "unlearn_clicked_point.png"), full_page=True)

        assert panel.locator("img").first.bounding_box()["width"] >= 64        # enlarged, not the 8-pixel original

        # A double-click on empty space: the plot area's corner, inside the margin that projection.bounds pads.
        area = plot.locator(".nsewdrag").first.bounding_box()
        page.mouse.dblclick(area["x"] + 4, area["y"] + 4)
        panel.wait_for(state="detached", timeout=30_000)
