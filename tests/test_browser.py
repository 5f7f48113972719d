"""The real thing: `streamlit run serve.py`, driven by Chromium through Playwright, on the Unlearn page.

A deep link on a fresh server runs inside app.py (its sidebar reads the link's seed); a preset is picked;
at a laptop's 1366x768 the map and the accuracy curves start on the first screen; Run at 1x shows every
optimiser step, in order, to the stop banner (the player's status is watched by a MutationObserver in the
page, so nothing depends on the machine's speed); a finished run's Replay, scrubbing and speed changes send
nothing to the server; hovering a sample shows its image; a click shows its neighbours under the map and a
double-click clears them; the results fill in once the retrain reference is ready. Needs Debian's chromium
at /usr/bin/chromium (CHROMIUM overrides the path); CI installs it, so it is never skipped.
"""
from __future__ import annotations

import re
from contextlib import closing

import pytest

# The server fixture, the browser fixture and the settings live in browser_helpers; they are re-exported here
# because other browser tests import them from this module.
from browser_helpers import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, browser,  # noqa: F401
                             MAP_DRAWN_AT_LEAST, WATCH_STEPS, free_port, hover_shows_image, launch_chromium,
                             map_marks, require_chromium, screenshot_on_failure, server)

MAP_POINTS = 300


def top_of(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


@pytest.mark.browser
def test_a_run_plays_every_step_replays_without_the_server_and_explains_a_click(server, browser):  # noqa: F811
    base, log = server
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    sent_frames: list[str] = []       # what the browser sends the server over the websocket
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent_frames.append(str(payload)[:40])))
    with closing(page), screenshot_on_failure(page, "unlearn_page_failure.png", log):
        page.goto(f"{base}/unlearn?points={MAP_POINTS}&seed=1", timeout=TIMEOUT_MS)
        # The deep link was the server's first request: the page must still run inside app.py (its
        # sidebar, reading the link's settings), not alone as Streamlit's legacy pages/ mode would run it.
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("spinbutton", name="Seed").wait_for(timeout=TIMEOUT_MS)
        assert sidebar.get_by_role("spinbutton", name="Seed").input_value() == "1"
        assert page.get_by_test_id("stSidebarNav").count() == 0           # app.py draws its own page links
        page.get_by_role("button", name="Forget one digit").click()
        run = page.locator(".unlearn-controls button[data-action=run]")
        run.wait_for(timeout=TIMEOUT_MS)                                   # the model and the map are ready
        # before Run: the original model's map, every probe sample drawn
        page.wait_for_function(MAP_DRAWN_AT_LEAST, arg=MAP_POINTS, timeout=60_000)
        url = page.evaluate("location.href")        # (Playwright's page.url can miss history.pushState)
        assert "preset=forget-digit" in url and f"points={MAP_POINTS}" in url and "seed=0" in url, url
        # A laptop's first screen holds the controls, the map and the accuracy curves (no scrolling).
        assert top_of(page, ".unlearn-map") < 768 - 200 and top_of(page, ".unlearn-acc") < 768 - 150
        page.screenshot(path=str(ARTIFACTS / "unlearn_page_1366x768.png"))

        page.evaluate(WATCH_STEPS)
        run.click()
        banner = page.locator(".unlearn-banner", has_text="Stopped at step")
        banner.wait_for(timeout=TIMEOUT_MS)
        assert "terminated" in banner.inner_text()
        final_step = int(banner.inner_text().split("Stopped at step ")[1].split(":")[0])
        shown = page.evaluate("() => window.__shown")
        assert shown == list(range(final_step + 1)), shown                 # every step, in order, once
        # The frames after Run's own answer came from serve.py's feed route, not by reruns of the page.
        feed = page.evaluate("() => { const S = document.querySelector('.unlearn-player').__unlearnPlayer.state;"
                             " return [S.feedAnswers, S.feedFailures]; }")
        assert feed[0] >= 1 and feed[1] == 0, feed
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.screenshot(path=str(ARTIFACTS / "unlearn_page_stopped.png"), full_page=True)

        # The results fill in once the retrain reference is ready, then the relearning test and the probe; until
        # then progress bars poll the server. Once none is left, the page has nothing more to ask for.
        page.get_by_text("Wall-clock:").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("heading", name="Does it really forget?").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("() => !document.querySelector('[data-testid=stProgress]')", timeout=TIMEOUT_MS)
        page.get_by_role("button", name=re.compile("Compute per-sample privacy")).wait_for(timeout=TIMEOUT_MS)

        # A finished run plays again in the browser alone: Replay at 4x, scrub, change the speed.
        before = len(sent_frames)
        page.locator(".unlearn-speed").select_option("4")
        page.evaluate(WATCH_STEPS)
        page.locator(".unlearn-controls button[data-action=replay]").click()
        # The replay has shown its last step: [the stop step, 0, 1, ..., the stop step].
        page.wait_for_function("(n) => window.__shown.length >= n + 2", arg=final_step, timeout=60_000)
        page.locator(".unlearn-timeline").fill("3")
        page.locator(".unlearn-controls button[data-action=step]").click()
        assert page.locator(".unlearn-status").get_attribute("data-step") == "4"
        page.locator(".unlearn-controls button[data-action=reset]").click()
        assert page.locator(".unlearn-status").get_attribute("data-step") == "0"
        step = page.locator(".unlearn-controls button[data-action=step]")
        for _ in range(10):                            # clicks faster than any server round trip: each one counts
            step.click(delay=0)
        assert page.locator(".unlearn-status").get_attribute("data-step") == "10"
        page.locator(".unlearn-controls button[data-action=reset]").click()
        replayed = page.evaluate("() => window.__shown")
        assert replayed == [final_step, *range(final_step + 1), 3, 4, 0, *range(1, 11), 0], replayed   # every step again, then ours
        assert len(sent_frames) == before, sent_frames[before:]          # no server work at all

        # Hovering a forget sample (a diamond on the map's canvas) shows its image beside the map's text box.
        diamonds = map_marks(page, "forget sample")
        src = hover_shows_image(page, diamonds)
        assert src is not None, "hovering forget samples never showed their image"
        assert src.startswith("data:image/png;base64,")

        # A click shows the sample and its five nearest neighbours under the map, and rings it on the map; a
        # double-click clears them.
        clicked = diamonds[-1]                         # the topmost diamond: nothing is drawn over it
        page.mouse.click(clicked["x"], clicked["y"])
        panel = page.locator(".clicked-point")
        panel.wait_for(timeout=60_000)
        assert panel.locator("img").count() == 6 and "at step 0" in panel.inner_text()
        assert page.locator(".unlearn-map").first.get_attribute("data-selected") == str(clicked["probe"])
        map_box = page.locator(".unlearn-map").first.bounding_box()
        page.mouse.dblclick(map_box["x"] + 12, map_box["y"] + map_box["height"] - 12)
        panel.wait_for(state="detached", timeout=60_000)

