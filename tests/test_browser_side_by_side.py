"""The Side by side page in a real browser: opened with its defaults (the paper's Figure 1: contrastive,
NegGrad and fine-tuning) on a small map, played to the end at "as fast as possible", then checked as
drawn: three maps with every probe point, one shared timeline at the last step, every map holding its
method's last frame, the retrain target's stars on every map, and the accuracy and leaving-the-cluster
curves of all three methods with the retrain's values as the target.
Everything waits on the page's state (the stop banner, the charts' data), never on time."""
from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

import pytest

from browser_helpers import screenshot_on_failure
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, server  # noqa: F401 (a fixture)

MAP_POINTS = 200
PREPARE_MS = 480_000          # a cold server trains the short recipe and compiles UMAP first, on a shared CPU
METHODS = ("Contrastive", "NegGrad", "Finetune")      # unlearn_core.baselines.METHOD_TITLES of the defaults
TARGET_TRACE = "retrain target"                       # app_ui.side_by_side_figures.TARGET_TRACE

# What the page drew, read from plotly's own graph divs: per chart its title and annotations' texts, and per
# trace its name, its number of points (plotly's calcdata: gd.data may hold them base64-encoded) and its
# number of points drawn (SVG), whose group is found by the trace bound to it (d3's __data__), not by its
# position. Streamlit's plotly theme wraps a title in <b> tags: the tests read its text.
TITLE = """(gd) => ((gd.layout && gd.layout.title && gd.layout.title.text) || '').replace(/<[^>]*>/g, '')"""
DRAWN = """(gd, name) => [...gd.querySelectorAll('.scatterlayer .trace')]
  .filter(g => g.__data__ && g.__data__[0] && g.__data__[0].trace && g.__data__[0].trace.name === name)
  .reduce((n, g) => n + g.querySelectorAll('path.point').length, 0)"""
CHARTS = f"""() => {{ const drawn = {DRAWN}, title = {TITLE};
  return [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({{
    title: title(gd),
    annotations: ((gd.layout && gd.layout.annotations) || []).map(a => a.text || ''),
    traces: (gd.data || []).map((t, i) => ({{name: t.name || '', points: ((gd.calcdata || [])[i] || []).length,
                                              drawn: drawn(gd, t.name)}})),
  }})); }}"""
# Three maps, each with its retrain stars drawn (the reference trains in the background during the run).
MAPS_WITH_TARGET = f"""([names, target]) => {{ const drawn = {DRAWN}, title = {TITLE};
  const maps = [...document.querySelectorAll('.js-plotly-plot')].filter(gd =>
    names.some(n => title(gd).startsWith(n + ': step')));
  return maps.length === names.length && maps.every(gd => drawn(gd, target) > 0); }}"""

# Every map titled with its method's stop step ([[method, step], ...] from the banner).
MAPS_AT_STEPS = f"""(stops) => {{ const title = {TITLE};
  const titles = [...document.querySelectorAll('.js-plotly-plot')].map(title);
  return stops.every(([m, n]) => titles.some(t => t.startsWith(m + ': step ' + n + ' ') || t === m + ': step ' + n)); }}"""


@pytest.mark.browser
def test_side_by_side_plays_three_methods_to_the_end_with_the_retrain_target(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium or set CHROMIUM")
    base, log = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 2000})
        with closing(browser), screenshot_on_failure(page, "side_by_side_failure.png", log):
            page.goto(f"{base}/side_by_side?points={MAP_POINTS}", timeout=TIMEOUT_MS)
            run = page.get_by_role("button", name="Run", exact=True)
            run.wait_for(timeout=PREPARE_MS)                   # the model and the map are ready
            # The defaults: the paper's Figure 1, three maps of the original model before Run.
            page.wait_for_function(
                "(n) => [...document.querySelectorAll('.js-plotly-plot')].filter(gd => "
                "gd.querySelectorAll('.scatterlayer path.point').length >= n).length >= 3", arg=MAP_POINTS,
                timeout=60_000)
            page.get_by_test_id("stRadio").get_by_text("as fast as possible").click()
            page.wait_for_function(      # the speed reached the server: its rerun has redrawn the radio checked
                "() => [...document.querySelectorAll('[data-testid=stRadio] input')].some(i => i.checked && "
                "i.closest('label').textContent.includes('as fast as possible'))", timeout=30_000)
            run.click()
            banner = page.get_by_test_id("stAlert").filter(has_text="All methods have stopped")
            banner.wait_for(timeout=TIMEOUT_MS)
            said = banner.inner_text()
            page.wait_for_function(MAPS_WITH_TARGET, arg=[list(METHODS), TARGET_TRACE], timeout=TIMEOUT_MS)
            # A map's plot takes the newest frame once its glide to the previous one ends (live_chart.js).
            page.wait_for_function(MAPS_AT_STEPS, arg=re.findall(r"(\w+) at step (\d+)", said), timeout=TIMEOUT_MS)
            # The curves are drawn below the maps, in the same rerun: plotly may not have laid them out yet.
            page.wait_for_function(f"() => ({CHARTS})().some(c => c.annotations.includes('own-class kNN share'))",
                                   timeout=TIMEOUT_MS)
            charts = page.evaluate(CHARTS)
            timeline = page.get_by_test_id("stSlider").filter(has_text="Timeline")
            timeline_count, timeline_text = timeline.count(), timeline.inner_text() if timeline.count() else ""
            page.screenshot(path=str(ARTIFACTS / "side_by_side.png"), full_page=True)

    # Each method stopped by its own rule, at a step the banner names.
    stops = {m: int(n) for m, n in re.findall(r"(\w+) at step (\d+)", said)}
    assert set(stops) == set(METHODS), said
    last = max(stops.values())
    # One shared timeline, at the last step (the whole play shown to the end).
    assert timeline_count == 1, timeline_count
    assert str(last) in timeline_text.split(), timeline_text
    maps = {m: c for c in charts for m in METHODS if c["title"].startswith(f"{m}: step")}
    assert set(maps) == set(METHODS), [c["title"] for c in charts]
    for method, chart in maps.items():
        # At the last step every map shows its method's closing frame; one that stopped earlier holds it.
        assert chart["title"].startswith(f"{method}: step {stops[method]}"), chart["title"]
        assert ("its last frame" in chart["title"]) == (stops[method] < last), chart["title"]
        drawn = sum(t["drawn"] for t in chart["traces"] if t["name"] != TARGET_TRACE and "trail" not in t["name"]
                    and "start" not in t["name"])
        assert drawn >= MAP_POINTS, (method, chart["traces"])          # every probe sample is on the map
        forget = next(t for t in chart["traces"] if t["name"] == "forget samples")
        target = next(t for t in chart["traces"] if t["name"] == TARGET_TRACE)
        # A star per forget sample (plotly may leave out the SVG of one that falls outside the map's range).
        assert target["points"] == forget["points"] > 0 and target["drawn"] > 0, chart["traces"]
    curves = next(c for c in charts if c["title"].startswith("Accuracy"))
    assert all(any(t["name"].startswith(f"{m}: ") for t in curves["traces"]) for m in METHODS), curves["traces"]
    # The leaving-the-cluster numbers (app_ui/cluster_curves.py): a curve per method, the retrain's as the target.
    leaving = next(c for c in charts if "own-class kNN share" in c["annotations"])
    assert all(any(t["name"] == m and t["points"] > 0 for t in leaving["traces"]) for m in METHODS), leaving
    assert any(a.startswith("retrain") for a in leaving["annotations"]), leaving["annotations"]
