"""What the Streamlit page around the player costs the browser a step, beside the bare (offline) player.

    python -m bench.page_cost [--points 300] [--jumps]

One Chromium, one page at a time, the same recording (digits, forget class 1, the short training recipe) at 1x:
- "app live": the Unlearn page (`streamlit run serve.py`), Run pressed on a recording nobody made yet, to the
  stop banner (the server records while the browser plays: the player fetches new frames from the feed route,
  app_ui/live/feed_route.py; Run itself is a rerun of the player's fragment);
- "app replay": the same page, Run pressed again once the run has stopped (the results are drawn below the
  player; a finished recording needs no server work);
- "bare replay": the Unlearn page's own "Player (HTML)" download of that recording (assets/player.js without
  Streamlit around it), in the same browser at the same viewport.
For each, per step shown: Chromium's CPU seconds (every process, and split by process type: renderer, gpu,
browser, utility), the page's main-thread figures from the DevTools protocol (Performance.getMetrics:
TaskDuration, ScriptDuration, RecalcStyleDuration, LayoutDuration, their counts, the renderer's ProcessTime),
the DOM mutations inside and outside the player (a MutationObserver on the body), the player's data updates
(feed calls) and the websocket messages both ways. `--jumps` plays every step as a jump (the player's glide
held off, as when it falls behind), to separate the glide's cost from the page's.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from .common import machine, print_figures
from .sessions import ARGS, CHROMIUM, MAP_DRAWN, RUN, _link, _ready, chromium_cpu_by_type, served_app

BANNER = ".unlearn-banner"
STOPPED = "Stopped at step"
METRICS = ["TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "ProcessTime", "ThreadTime",
           "RecalcStyleCount", "LayoutCount"]
# Counts, from the page: DOM mutation records inside and outside the player, the player's feed calls.
WATCH = """(jumps) => {
  const root = document.querySelector('.unlearn-player'), api = root.__unlearnPlayer;
  window.__cost = {inside: 0, outside: 0, outsideTargets: {}, feeds: 0};
  if (!api.__counted) {
    const feed = api.feed;
    api.feed = (d) => { window.__cost.feeds += 1; return feed(d); };
    api.__counted = true;
  }
  if (jumps) api.state.behindUntil = 1e15;             // canGlide() false: every step a jump
  const tip = document.getElementById('unlearn-hover-image');
  const name = (el) => (el.getAttribute && (el.getAttribute('data-testid') || el.className || el.tagName)) || el.nodeName;
  new MutationObserver((records) => {
    for (const r of records) {
      const t = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (t && (root.contains(t) || t === tip)) { window.__cost.inside += 1; continue; }
      window.__cost.outside += 1;
      // the nearest element with a data-testid names where the page changed
      let e = t; while (e && !(e.getAttribute && e.getAttribute('data-testid'))) e = e.parentElement;
      const k = e ? e.getAttribute('data-testid') : String(name(t)).slice(0, 40);
      window.__cost.outsideTargets[k] = (window.__cost.outsideTargets[k] || 0) + 1;
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


async def _metrics(cdp) -> dict[str, float]:
    got = await cdp.send("Performance.getMetrics")
    return {m["name"]: m["value"] for m in got["metrics"] if m["name"] in METRICS}


async def _play(page, cdp, jumps: bool, press) -> dict:
    """Instrument the page, press (Run or Replay), wait for the stop banner; the figures per step shown."""
    sockets = {"sent": 0, "received": 0, "received_bytes": 0}

    def on_sent(_):
        sockets["sent"] += 1

    def on_received(ev):
        sockets["received"] += 1
        sockets["received_bytes"] += len(ev["response"].get("payloadData", ""))
    cdp.on("Network.webSocketFrameSent", on_sent)
    cdp.on("Network.webSocketFrameReceived", on_received)
    await page.evaluate(WATCH, jumps)
    await asyncio.sleep(1.0)                       # what the previous action started is over
    await page.evaluate("() => { window.__cost.inside = 0; window.__cost.outside = 0; "
                        "window.__cost.outsideTargets = {}; window.__cost.feeds = 0; }")
    for k in sockets:
        sockets[k] = 0
    m0, cpu0, t0 = await _metrics(cdp), chromium_cpu_by_type(), time.perf_counter()
    await press()
    await page.locator(BANNER, has_text=STOPPED).wait_for(timeout=600_000)
    wall = time.perf_counter() - t0
    m1, cpu1 = await _metrics(cdp), chromium_cpu_by_type()
    counts = await page.evaluate("() => window.__cost")
    steps = int(await page.locator(".unlearn-status").get_attribute("data-step")) + 1
    fell = await page.evaluate("() => document.querySelector('.unlearn-player').__unlearnPlayer.state.behindCount")
    cpu = {k: round((cpu1.get(k, 0) - cpu0.get(k, 0)) / steps, 4) for k in sorted(set(cpu0) | set(cpu1))}
    top = sorted(counts["outsideTargets"].items(), key=lambda kv: -kv[1])[:8]
    return {"steps_shown": steps, "wall_s": round(wall, 2), "fell_behind": fell,
            "chromium_cpu_s_per_step": round(sum(cpu.values()), 4), "chromium_cpu_s_per_step_by_process": cpu,
            "main_thread_ms_per_step": {k: round(1000 * (m1[k] - m0[k]) / steps, 1) for k in METRICS
                                        if k.endswith("Duration") or k.endswith("Time")},
            "counts_per_step": {k: round((m1[k] - m0[k]) / steps, 1) for k in METRICS if k.endswith("Count")},
            "dom_mutations_per_step": {"inside_player": round(counts["inside"] / steps, 1),
                                       "outside_player": round(counts["outside"] / steps, 1),
                                       "outside_where": dict(top)},
            "player_data_updates": counts["feeds"],
            "websocket_messages": sockets}


async def _measure(base: str, points: int, jumps: bool) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
            page = await context.new_page()
            await page.goto(base + _link(1, points, 9_996), timeout=600_000)
            await _ready(page)
            await page.locator(".unlearn-speed").select_option("1")
            cdp = await context.new_cdp_session(page)
            await cdp.send("Performance.enable")
            await cdp.send("Network.enable")
            run = page.locator(RUN)
            live = await _play(page, cdp, jumps, run.click)
            # The results below the player come with the page's rerun at the end: wait for the download.
            html = page.get_by_role("button", name="Player (HTML)")
            await html.wait_for(timeout=600_000)
            replay = await _play(page, cdp, jumps, page.locator('.unlearn-controls [data-action="replay"]').click)
            async with page.expect_download(timeout=600_000) as dl:
                await html.click()
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "player.html"
                await (await dl.value).save_as(path)
                await context.close()
                context = await browser.new_context(viewport={"width": 1300, "height": 1000})
                page = await context.new_page()
                await page.goto(path.as_uri())
                await page.wait_for_function(MAP_DRAWN)
                await page.locator(".unlearn-speed").select_option("1")
                cdp = await context.new_cdp_session(page)
                await cdp.send("Performance.enable")
                bare = await _play(page, cdp, jumps, page.locator(RUN).click)
            return {"app_live": live, "app_replay": replay, "bare_replay": bare}
        finally:
            await browser.close()


def run(quick: bool = False, points: int = 300, jumps: bool = False) -> dict:
    with served_app() as (base, _proc):
        figures = asyncio.run(_measure(base, points, jumps))
    per = {k: v["chromium_cpu_s_per_step"] for k, v in figures.items()}
    return {"description": "Chromium's cost a step shown at 1x: the Unlearn page while it records, the same page "
                           "replaying the finished run, and the bare offline player (the page's own HTML download) "
                           "replaying it" + (" (every step a jump)" if jumps else " (glide as shipped)"),
            "command": f"python -m bench.page_cost --points {points}" + (" --jumps" if jumps else ""),
            "map_points": points, "chromium_cpu_s_per_step": per,
            "app_over_bare": {k: round(per[k] / per["bare_replay"], 2) for k in ("app_live", "app_replay")},
            **figures, "load_average_1min": round(os.getloadavg()[0], 1), "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--jumps", action="store_true", help="every step a jump (the glide held off)")
    args = parser.parse_args()
    print_figures("page_cost", run(points=args.points, jumps=args.jumps))


if __name__ == "__main__":
    main()
