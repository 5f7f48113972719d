"""Side by side in Chromium on the real server: the paper's Figure 1 methods (Contrastive, NegGrad, Finetune, the
page's default) on one small map, played "as computed" on one timeline until every method has stopped.

Checked: the "All methods have stopped" banner names each method's stop; every lane's map drew all its samples
and its title ends at that lane's own stop step (a lane that stopped earlier holds its last frame and says so);
the accuracy chart has one line per method, each in its own colour; once the retrain reference is ready every map
has its stars (assets/player.js draws the target as "star" marks on the map's canvas, one per forget sample, so
as many as the diamonds). Nothing waits on the clock: every wait is on the page's own state.
"""
from __future__ import annotations

import re
from contextlib import closing

import pytest

from browser_helpers import ARTIFACTS, TIMEOUT_MS, browser, screenshot_on_failure, server  # noqa: F401 (fixtures)

POINTS = 200
SEED = 31                   # this test's own: no other browser test shares its recordings
METHODS = ["Contrastive", "NegGrad", "Finetune"]

# Every lane's map, as drawn on its canvas: its title, its sample points, its diamonds and its stars (the marks
# player.js's mapMarks says it drew).
MAPS = """() => { const api = document.querySelector('.unlearn-player').__unlearnPlayer;
  return [...document.querySelectorAll('.unlearn-map')].map((el, i) => {
    const marks = api.mapMarks(i), count = (kind) => marks.filter((m) => m.kind === kind).length;
    return {lane: el.getAttribute('data-lane'), title: el.querySelector('.unlearn-map-title').textContent,
            points: count('remaining') + count('forget sample'), diamonds: count('forget sample'),
            stars: count('target'), drawn: Number(el.getAttribute('data-points'))};
  }); }"""
# The accuracy chart's method lines (a line with markers per lane; thresholds and stop marks are plain lines).
ACC_LINES = """() => (document.querySelector('.unlearn-acc').data || [])
  .filter((t) => t.mode === 'lines+markers').map((t) => ({name: t.name, color: t.line.color, n: t.x.length}))"""
STARS_EVERYWHERE = """() => { const maps = [...document.querySelectorAll('.unlearn-map')];
  return maps.length > 0 && maps.every((el) => Number(el.getAttribute('data-stars')) > 0); }"""


@pytest.mark.browser
def test_three_methods_play_to_their_own_stops_with_one_coloured_line_each_and_the_stars(server, browser):  # noqa: F811
    base, log = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    with closing(page), screenshot_on_failure(page, "side_by_side_failure.png", log):
        page.goto(f"{base}/side_by_side?points={POINTS}&seed={SEED}", timeout=TIMEOUT_MS)
        run = page.locator(".unlearn-controls button[data-action=run]")
        run.wait_for(timeout=TIMEOUT_MS)                          # the model and the map are ready
        page.wait_for_function("(n) => document.querySelectorAll('.unlearn-map').length === n", arg=len(METHODS),
                               timeout=60_000)
        page.locator(".unlearn-speed").select_option("computed")
        run.click()

        banner = page.locator(".unlearn-banner", has_text="All methods have stopped")
        banner.wait_for(timeout=TIMEOUT_MS)
        text = banner.inner_text()
        stops = {name: int(step) for name, step in re.findall(r"(\w+) at step (\d+)", text)}
        assert list(stops) == METHODS, text
        assert page.locator(".unlearn-status").get_attribute("data-state") == "stopped"
        assert page.locator(".unlearn-status").get_attribute("data-step") == str(max(stops.values()))

        # Every lane's map drew every sample, and its title is at its own stop (earlier stops hold their frame).
        maps = page.evaluate(MAPS)
        assert [m["lane"] for m in maps] == ["0", "1", "2"], maps
        for name, drawn in zip(METHODS, maps):
            assert drawn["points"] >= POINTS and drawn["drawn"] == drawn["points"], drawn
            title = re.fullmatch(r"(\w+): step (\d+)( \(stopped: its last frame\))?", drawn["title"])
            assert title is not None, drawn
            assert title.group(1) == name and int(title.group(2)) == stops[name], (drawn, stops)
            assert bool(title.group(3)) == (stops[name] < max(stops.values())), drawn

        # The accuracy chart: one line per method, in distinct colours, each with points up to its stop.
        lines = page.evaluate(ACC_LINES)
        assert [line["name"] for line in lines] == METHODS, lines
        assert len({line["color"] for line in lines}) == len(METHODS), lines
        assert all(line["n"] >= 2 for line in lines), lines

        # The retrain reference trains beside the methods; once it is ready, every map gets its stars: one per
        # forget sample on the map (as many as the diamonds), and the map key says what they are.
        page.wait_for_function(STARS_EVERYWHERE, timeout=TIMEOUT_MS)
        for drawn in page.evaluate(MAPS):
            assert drawn["stars"] == drawn["diamonds"] > 0, drawn
        assert "where the retrained model puts them" in page.locator(".map-key").inner_text()
        # The page's rerun that brought the target kept the player where it was: still stopped, banner up.
        assert page.locator(".unlearn-status").get_attribute("data-state") == "stopped"
        assert banner.is_visible()
        page.screenshot(path=str(ARTIFACTS / "side_by_side_stopped.png"), full_page=True)
