"""The live map in a browser: does it glide, does it blink, and what does a frame cost the browser?

    python -m bench.glide

Starts `streamlit run app.py` (as bench.sessions does), opens the Unlearn page in Chromium (forget class
1, a 300-point map), presses Run at 1x and, on every animation frame of the page until the stop banner,
records which plot element draws the map and where the first forget sample is. Printed:
- map plot elements: how many plots drew the map during the run (1: it was updated in place);
- frames without a map: animation frames where no map was on the page (the map blinked out);
- server frames and position changes: map frames the server sent and how often the sample's drawn position
  changed (about one per frame: the points jump; many more: they glide through the positions between);
- browser and server CPU seconds per server frame (/proc; this machine runs both).
Counts, not timings, are the figure here: the glide and the blinks do not depend on the machine's speed.
"""
from __future__ import annotations

import asyncio
import re
import time

from .common import machine, print_figures
from .sessions import ARGS, CHROMIUM, TIMEOUT_MS, _browser_cpu_seconds, _cpu_seconds, _open, _warm, served_app

MAP_TITLE = re.compile(rb"Embedding map, step (\d+)")
# On every animation frame: the map's plot element (numbered as first seen) and the first forget sample's
# position (the last scatter trace's first point: figures.map_figure draws the forget samples last).
SAMPLER = """() => { window.__glide = []; let ids = 0;
  const sample = () => {
    const map = [...document.querySelectorAll('.js-plotly-plot')].find(gd =>
      (gd.querySelector('.gtitle')?.textContent || '').startsWith('Embedding map'));
    if (map && !map.__benchId) map.__benchId = ++ids;
    const point = map ? map.querySelector('.scatterlayer .trace:last-child path.point') : null;
    window.__glide.push([map ? map.__benchId : null, point ? point.getAttribute('transform') : null]);
    window.__glideFrame = requestAnimationFrame(sample);
  };
  sample(); }"""


async def _measure(base: str, server_pid: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            await _warm(browser, base)
            context, page = await _open(browser, base, 1, "1x")
            sent: list[int] = []
            page.on("websocket", lambda ws: ws.on("framereceived", lambda data: sent.extend(
                int(m.group(1)) for m in MAP_TITLE.finditer(data if isinstance(data, bytes) else data.encode()))))
            await page.reload()                   # the websocket listener sees the page's connection from its start
            await page.get_by_role("button", name="Run", exact=True).wait_for(timeout=TIMEOUT_MS)
            await page.evaluate(SAMPLER)
            cpu = _cpu_seconds(server_pid), _browser_cpu_seconds()
            start = time.perf_counter()
            await page.get_by_role("button", name="Run", exact=True).click()
            banner = page.get_by_test_id("stAlert").filter(has_text="Stopped at step")
            await banner.wait_for(timeout=TIMEOUT_MS)
            wall = time.perf_counter() - start
            server_cpu, browser_cpu = _cpu_seconds(server_pid) - cpu[0], _browser_cpu_seconds() - cpu[1]
            samples = await page.evaluate("() => { cancelAnimationFrame(window.__glideFrame); return window.__glide; }")
        finally:
            await browser.close()
    frames = len({n for n in sent if n > 0})
    running = samples[next((i for i, s in enumerate(samples) if s[1]), 0):]       # from the first drawn map
    moves = sum(1 for a, b in zip(running, running[1:]) if a[1] and b[1] and a[1] != b[1])
    return {"server_frames": frames, "animation_frames_sampled": len(running),
            "map_plot_elements": len({s[0] for s in running if s[0]}),
            "frames_without_a_map": sum(1 for s in running if s[0] is None),
            "position_changes": moves, "position_changes_per_server_frame": round(moves / max(frames, 1), 1),
            "run_wall_s": round(wall, 2),
            "browser_cpu_s_per_frame": round(browser_cpu / max(frames, 1), 3),
            "server_cpu_s_per_frame": round(server_cpu / max(frames, 1), 3)}


def measure() -> dict:
    with served_app() as (base, proc):
        figures = asyncio.run(_measure(base, proc.pid))
    return {"description": "The Unlearn page's map during a 1x run in Chromium (forget class 1, 300 points): plot "
                           "elements, frames without a map, the forget sample's position changes per server frame, "
                           "CPU per frame.", "command": "python -m bench.glide", **figures, "machine": machine()}


def run(quick: bool = False) -> dict:
    """`python -m bench` calls this (no quick variant: one run is the figure)."""
    return measure()


def main() -> None:
    print_figures("the live map's glide", measure())


if __name__ == "__main__":
    main()
