"""The player on the real server: does 1x show every step, and does a finished run replay without the server?

    python -m bench.player

On a fresh server (`served_app()` of bench/sessions.py: a private model cache, the short training recipe), in
Chromium at 1x:
1. the app's default class run (digits, forget class 5, seed 0, the 1,000-point map) and its default sample run
   (100 random samples): the frames shown (the distinct steps the player's status shows, every change seen by a
   MutationObserver in the page, so none is missed whatever the machine; target: every step, steps + 1) and the
   seconds from Run to the stop banner (at 1x, 2 steps a second: a run of N steps cannot play in under N/2 s;
   more means the player waited for the engine);
2. the server's CPU seconds (/proc: every thread of the streamlit process) while the finished class run is
   replayed at 1x in the browser (Replay, every step again to the banner), once the page's own background work
   (the retrain reference, the relearning test and probe) is done. Target: under 0.5 s. Beside it, the
   server's CPU seconds in an equal window with nothing happening, and the messages the browser sent meanwhile
   (a replay needs none).
"""
from __future__ import annotations

import re
import time

from .common import machine, print_figures
from .sessions import CHROMIUM, MAP_DRAWN, RUN, TIMEOUT_MS, _cpu_seconds, served_app

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
CLASS_RUN = "/unlearn?points=1000&mode=class&class=5&seed=0"          # the app's defaults, said out loud
SAMPLE_RUN = "/unlearn?points=1000&mode=sample&count=100&seed=0"
# Every step the player's status shows, in order, each change once (attribute changes, not sampling).
WATCH_STEPS = """() => { window.__shown = []; const el = document.querySelector('.unlearn-status');
  const note = () => { const s = Number(el.getAttribute('data-step'));
    if (window.__shown[window.__shown.length - 1] !== s) window.__shown.push(s); };
  note(); new MutationObserver(note).observe(el, {attributes: true, attributeFilter: ['data-step']}); }"""
# The page has finished its own work: the results' wall-clock line is there, the evidence (relearning test and
# probe) is drawn (its per-sample privacy button shows once they are), no progress bar polls a background job, no
# element waits to be replaced by a rerun, and the player is stopped at its end.
SETTLED = """() => document.body.innerText.includes('Wall-clock:') && !document.querySelector('[data-testid=stProgress]')
  && document.body.innerText.includes('Compute per-sample privacy')
  && !document.querySelector('[data-stale=true]')
  && document.querySelector('.unlearn-status').getAttribute('data-state') === 'stopped'"""


def _open(browser, path: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(1)))
    page.goto(path, timeout=TIMEOUT_MS)
    run, start = page.locator(RUN), page.get_by_role("button", name="Start", exact=True)
    run.or_(start).first.wait_for(timeout=TIMEOUT_MS)        # a loaded machine may ask before a long training
    if start.count():
        start.click()
    run.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(MAP_DRAWN, timeout=TIMEOUT_MS)
    page.locator(".unlearn-speed").select_option("1")
    return page, sent


def _play(page) -> dict:
    """Run at 1x to the banner: the steps shown and the seconds it took."""
    page.evaluate(WATCH_STEPS)
    start = time.perf_counter()
    page.locator(RUN).click()
    banner = page.locator(".unlearn-banner", has_text="Stopped at step")
    banner.wait_for(timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - start
    steps = int(re.match(r"Stopped at step (\d+):", banner.inner_text()).group(1))
    shown = page.evaluate("() => window.__shown")
    engine = re.search(r"([\d.]+) s of engine compute", page.locator(".unlearn-status").inner_text())
    return {"steps": steps, "frames_shown": len(set(shown)), "target_frames": steps + 1,
            "every_step_once_in_order": shown == list(range(steps + 1)), "seconds_to_play": round(seconds, 2),
            "least_seconds_at_1x": steps / 2, "engine_seconds": float(engine.group(1)) if engine else None}


def _replay(page, sent: list, server_pid: int, steps: int) -> dict:
    """Replay at 1x of the finished run: the server's CPU seconds meanwhile, and in an equal idle window."""
    page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
    page.evaluate(WATCH_STEPS)
    before, cpu, start = len(sent), _cpu_seconds(server_pid), time.perf_counter()
    page.locator(".unlearn-controls button[data-action=replay]").click()
    page.wait_for_function("(n) => window.__shown.length > n && document.querySelector('.unlearn-status')"
                           ".getAttribute('data-state') === 'stopped'", arg=steps, timeout=TIMEOUT_MS)
    seconds, cpu_replay, messages = time.perf_counter() - start, _cpu_seconds(server_pid) - cpu, len(sent) - before
    replayed = page.evaluate("() => window.__shown")
    cpu = _cpu_seconds(server_pid)
    time.sleep(seconds)            # a measuring window, not a wait for anything: the server with nothing to do
    cpu_idle = _cpu_seconds(server_pid) - cpu
    return {"server_cpu_s_during_replay": round(cpu_replay, 3), "target_s": 0.5,
            "server_cpu_s_idle_same_time": round(cpu_idle, 3), "replay_seconds": round(seconds, 2),
            "messages_sent_during_replay": messages, "replayed_every_step": replayed[1:] == list(range(steps + 1))}


def measure() -> dict:
    from playwright.sync_api import sync_playwright

    with served_app() as (base, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page, sent = _open(browser, base + CLASS_RUN)
            class_run = _play(page)
            replay = _replay(page, sent, proc.pid, class_run["steps"])
            page.close()
            page, _ = _open(browser, base + SAMPLE_RUN)
            sample_run = _play(page)
        finally:
            browser.close()
    return {"description": "Chromium at 1x on a fresh server: frames shown of the app's default class run and "
                           "sample run (target: every step, steps + 1) and seconds to play; the server's CPU "
                           "seconds while the finished class run replays at 1x (target < 0.5 s)",
            "command": "python -m bench.player", "class_run": class_run, "sample_run": sample_run,
            "class_replay": replay, "machine": machine()}


def run(quick: bool = False) -> dict:
    """`python -m bench` calls this (no quick variant: the default runs are the figure)."""
    return measure()


def main() -> None:
    print_figures("player", measure())


if __name__ == "__main__":
    main()
