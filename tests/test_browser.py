"""The real thing: `streamlit run app.py` on a free localhost port, driven by Chromium through Playwright.

Opens a deep link to the Unlearn page (a shared link on a fresh server: its first request), checks that
it runs inside app.py (the sidebar holds the link's seed), picks the "Forget one digit"
preset, presses Run, waits for the termination banner and for the charts to have drawn their points,
hovers a forget sample for its image, waits for the retrain figures, and saves a screenshot under
tests/artifacts/. Needs Debian's chromium at /usr/bin/chromium (CHROMIUM overrides the path); a
missing browser fails the test with a message saying so: CI installs it, so it is never skipped.
"""
from __future__ import annotations

from contextlib import closing

import pytest

# The server fixture, the browser fixture and the settings live in browser_helpers; they are re-exported here
# because other browser tests import them from this module.
from browser_helpers import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, browser,  # noqa: F401
                             free_port, launch_chromium, require_chromium, screenshot_on_failure, server)

MAP_POINTS = 300


def count_points(page, chart_index: int) -> int:
    """Drawn scatter points (SVG) in the chart_index-th plotly chart of the page."""
    return page.evaluate(
        "(i) => { const plots = document.querySelectorAll('.js-plotly-plot');"
        " return plots.length > i ? plots[i].querySelectorAll('.scatterlayer path.point').length : 0; }", chart_index)


@pytest.mark.browser
def test_pick_a_preset_run_it_and_see_the_map(server, browser):  # noqa: F811 (fixtures)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    base, log = server
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    with closing(page), screenshot_on_failure(page, "unlearn_page_failure.png", log):
        page.goto(f"{base}/unlearn?points={MAP_POINTS}&seed=1", timeout=TIMEOUT_MS)
        # The deep link was the server's first request: the page must still run inside app.py (its
        # sidebar, reading the link's settings), not alone as Streamlit's legacy pages/ mode would run it.
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("spinbutton", name="Seed").wait_for(timeout=TIMEOUT_MS)
        assert sidebar.get_by_role("spinbutton", name="Seed").input_value() == "1"
        assert page.get_by_test_id("stSidebarNav").count() == 0           # app.py hides Streamlit's menu
        page.get_by_role("button", name="Forget one digit").click()
        run = page.get_by_role("button", name="Run", exact=True)
        run.wait_for(timeout=TIMEOUT_MS)                                   # the model and the map are ready
        page.wait_for_function("() => !document.querySelector('[data-testid=stProgress]')", timeout=TIMEOUT_MS)
        page.wait_for_function(       # before Run: the original model's map, every probe sample drawn
            "(n) => { const p = document.querySelector('.js-plotly-plot');"
            " return p && p.querySelectorAll('.scatterlayer path.point').length >= n; }", arg=MAP_POINTS,
            timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "unlearn_page_before_run.png"))
        url = page.evaluate("location.href")        # (Playwright's page.url can miss history.pushState)
        assert "preset=forget-digit" in url and f"points={MAP_POINTS}" in url and "seed=0" in url, url
        run.click()
        banner = page.get_by_test_id("stAlert").filter(has_text="Stopped at step")
        banner.wait_for(timeout=TIMEOUT_MS)
        banner = banner.inner_text()
        assert "terminated" in banner, banner

        # A screenshot taken too early shows empty chart frames: wait until the points are drawn.
        page.wait_for_function(
            "(n) => { const plots = document.querySelectorAll('.js-plotly-plot');"
            " return plots.length >= 3 && plots[0].querySelectorAll('.scatterlayer path.point').length >= n"
            " && plots[1].querySelectorAll('.scatterlayer path.point').length > 0; }",
            arg=MAP_POINTS, timeout=30_000)
        assert count_points(page, 0) >= MAP_POINTS                          # the map: every probe sample
        assert count_points(page, 1) > 0                                     # the accuracy curves' markers

        # Hovering a forget sample shows its image (the hover component) beside plotly's tooltip.
        # A rerun can redraw the chart under the pointer and swallow one hover, so a few forget
        # samples are tried in turn; the image must show for one of them.
        image = page.locator("#unlearn-hover-image")
        forget_points = page.locator(".js-plotly-plot").first.locator(".scatterlayer .trace").last.locator(
            "path.point")
        for attempt in range(5):
            page.mouse.move(5, 5)
            box = forget_points.nth(attempt).bounding_box()
            if box is not None:
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
            try:
                image.wait_for(state="visible", timeout=4_000)
                break
            except PlaywrightTimeout:
                continue
        assert image.is_visible(), "hovering forget samples never showed their image"
        assert image.get_attribute("src").startswith("data:image/png;base64,")
        page.mouse.move(5, 5)

        # The retrain reference fills in the results table in the background.
        page.get_by_text("Wall-clock:").wait_for(timeout=TIMEOUT_MS)     # the cost line, both costs
        page.screenshot(path=str(ARTIFACTS / "unlearn_page.png"), full_page=True)
