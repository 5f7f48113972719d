"""Five students at once, in Chromium on the real server: five pages in one browser, each in its own context (its
own Streamlit session), each forgetting another digit (class 1 to 5), Run pressed in each, played "as computed".

Checked: every page reaches its own stop banner: the banner's step is that recording's stop (the player holds
every frame of it, one per step: data-frames = step + 1, and shows the last), the page's map forgets its own
class (every forget sample on it is of that class), the five recordings are five (none joined another's), and
each page's URL still names its class. When one fails, the failure says what every page shows.

And a Run lost on the way (dropped on the websocket: what a busy server's coalesced triggers amount to) still
starts the engine: the player asks again.
"""
from __future__ import annotations

import re
from contextlib import ExitStack, closing

import pytest

from browser_helpers import ARTIFACTS, TIMEOUT_MS, browser, screenshot_on_failure, server  # noqa: F401 (fixtures)

CLASSES = [1, 2, 3, 4, 5]
SEED = 41                   # this test's own: no other browser test shares its recordings
POINTS = 200

MAP_DRAWN = """() => { const p = document.querySelector('.unlearn-map');
  return !!p && Number(p.getAttribute('data-points')) > 0; }"""
# What a page shows (and, from the player, which recording it plays and which class its map forgets).
SHOWS = """() => { const q = (s) => document.querySelector(s), root = q('.unlearn-player');
  const S = root && root.__unlearnPlayer ? root.__unlearnPlayer.state : null, st = S && S.static;
  const forget = st ? [...new Set(st.labels.filter((_, i) => st.is_forget[i]))] : null;
  return {url: location.href, frames: root && root.getAttribute('data-frames'),
          status: q('.unlearn-status') && q('.unlearn-status').textContent,
          state: q('.unlearn-status') && q('.unlearn-status').getAttribute('data-state'),
          step: q('.unlearn-status') && q('.unlearn-status').getAttribute('data-step'),
          banner: q('.unlearn-banner') && q('.unlearn-banner').textContent,
          errors: [...document.querySelectorAll('[data-testid=stAlert], [data-testid=stException]')]
            .map((e) => e.innerText.slice(0, 200)),
          lane: S && S.lanes[0] ? {id: S.lanes[0].id, state: S.lanes[0].state,
                                   final: S.lanes[0].final && S.lanes[0].final.step} : null,
          forget_classes: forget}; }"""


def shows(pages: dict) -> str:
    lines = []
    for c, page in pages.items():
        try:
            lines.append(f"class {c}: {page.evaluate(SHOWS)}")
        except Exception as err:        # a page that crashed still gets its line
            lines.append(f"class {c}: could not be read: {err}")
    return "\n".join(lines)


@pytest.mark.browser
def test_five_sessions_at_once_each_reach_their_own_stop(server, browser):  # noqa: F811
    base, log = server
    with ExitStack() as stack:
        pages = {}
        for c in CLASSES:                    # separate contexts: five sessions, as five students' browsers
            context = browser.new_context(viewport={"width": 1300, "height": 900})
            stack.callback(context.close)
            pages[c] = context.new_page()
        for c, page in pages.items():        # opened together: the five maps prepare at once on the server
            page.goto(f"{base}/unlearn?class={c}&seed={SEED}&points={POINTS}", wait_until="commit",
                      timeout=TIMEOUT_MS)
        first = next(iter(pages.values()))
        with screenshot_on_failure(first, "sessions_failure.png", log):
            try:
                for page in pages.values():
                    page.locator(".unlearn-controls button[data-action=run]").wait_for(timeout=TIMEOUT_MS)
                    page.wait_for_function(MAP_DRAWN, timeout=60_000)
                for page in pages.values():
                    page.locator(".unlearn-speed").select_option("computed")
                for page in pages.values():
                    page.locator(".unlearn-controls button[data-action=run]").click()
                for page in pages.values():
                    page.locator(".unlearn-banner", has_text="Stopped at step").wait_for(timeout=TIMEOUT_MS)
                seen = {c: page.evaluate(SHOWS) for c, page in pages.items()}
                for c, got in seen.items():
                    step = int(re.match(r"Stopped at step (\d+):", got["banner"]).group(1))
                    assert got["lane"]["state"] == "done" and got["lane"]["final"] == step, got
                    assert got["state"] == "stopped" and got["step"] == str(step), got
                    assert got["frames"] == str(step + 1), got              # every step of it, held, the last shown
                    assert got["forget_classes"] == [c], got               # its own class's map
                    assert re.search(rf"[?&]class={c}(&|$)", got["url"]), got
                ids = [got["lane"]["id"] for got in seen.values()]
                assert len(set(ids)) == len(CLASSES) and all(i.startswith("rec-") for i in ids), ids
            except Exception as err:
                raise AssertionError(f"{err}\nwhat every page shows:\n{shows(pages)}") from err
        for c, page in pages.items():
            page.screenshot(path=str(ARTIFACTS / f"sessions_class{c}.png"))


@pytest.mark.browser
def test_a_run_lost_on_the_way_still_starts_the_engine(server, browser):  # noqa: F811
    """Streamlit keeps one pending trigger per component: on a busy server a "want" sent before the server took up
    "run" replaced it. Here the first "run" is dropped on the websocket: the player must ask again."""
    base, log = server
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    dropped: list[bytes] = []

    def lose_the_first_run(ws) -> None:
        to_server = ws.connect_to_server()

        def forward(message) -> None:
            data = message if isinstance(message, bytes) else message.encode()
            if not dropped and re.search(rb'"kind":\s*"run"', data):
                dropped.append(data)                    # lost on the way
                return
            to_server.send(message)
        ws.on_message(forward)
    page.route_web_socket(re.compile(r".*/_stcore/stream"), lose_the_first_run)
    with closing(page), screenshot_on_failure(page, "sessions_lost_run_failure.png", log):
        # Class 2's map of the test above (prepared once), but a recording of its own: a step budget no run reaches.
        page.goto(f"{base}/unlearn?class=2&seed={SEED}&points={POINTS}&max_steps=9999", timeout=TIMEOUT_MS)
        run = page.locator(".unlearn-controls button[data-action=run]")
        run.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(MAP_DRAWN, timeout=60_000)
        page.locator(".unlearn-speed").select_option("4")
        run.click()
        page.locator(".unlearn-banner", has_text="Stopped at step").wait_for(timeout=TIMEOUT_MS)
        assert len(dropped) == 1


STATUS = """() => { const el = document.querySelector('.unlearn-status'), root = document.querySelector('.unlearn-player');
  const S = root.__unlearnPlayer.state;
  return {step: Number(el.getAttribute('data-step')), state: el.getAttribute('data-state'), pending: S.pendingSteps,
          frames: Number(root.getAttribute('data-frames')), banner: document.querySelector('.unlearn-banner').textContent,
          button: document.querySelector('.unlearn-controls button[data-action=run], '
                                         + '.unlearn-controls button[data-action=pause]').textContent}; }"""
# The player has shown every step it was asked for (its status no longer waits for the engine).
SETTLED = "() => document.querySelector('.unlearn-status').getAttribute('data-state') !== 'waiting'"
# More frames held than `n`, or the run is over: the engine went on meanwhile.
MORE_FRAMES = """(n) => Number(document.querySelector('.unlearn-player').getAttribute('data-frames')) > n
  || /Stopped at step/.test(document.querySelector('.unlearn-banner').textContent)
  || document.querySelector('.unlearn-player').__unlearnPlayer.state.lanes.every((l) => l.state === 'done')"""


def stop_step(banner: str) -> int | None:
    found = re.search(r"Stopped at step (\d+)", banner)
    return int(found.group(1)) if found else None


@pytest.mark.browser
def test_every_click_counts_however_fast_it_comes(server, browser):  # noqa: F811
    """Issue 23: Step clicked ten times before the engine has computed a frame takes ten steps; Pause and Reset
    right after Run act at once and hold while frames keep arriving; twenty Step clicks faster than any round trip
    take twenty steps (or as many as the run has, the banner saying where it stopped)."""
    base, log = server
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    with closing(page), screenshot_on_failure(page, "sessions_clicks_failure.png", log):
        # Class 2's map of the tests above, a recording of its own (another step budget no run reaches).
        page.goto(f"{base}/unlearn?class=2&seed={SEED}&points={POINTS}&max_steps=9998", timeout=TIMEOUT_MS)
        run = page.locator(".unlearn-controls button[data-action=run]")
        run.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(MAP_DRAWN, timeout=60_000)
        step = page.locator(".unlearn-controls button[data-action=step]")

        # Ten clicks in one go (one task of the page's event loop: no frame can arrive between them); the first
        # starts the engine, so none of its frames exists yet: all ten wait for the engine, none is merged.
        page.evaluate("() => { const b = document.querySelector('.unlearn-controls button[data-action=step]');"
                      " for (let i = 0; i < 10; i++) b.click(); }")
        ahead = page.evaluate(STATUS)
        assert ahead["pending"] == 10 and ahead["state"] == "waiting", ahead
        page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
        got = page.evaluate(STATUS)
        assert got["step"] == min(10, stop_step(got["banner"]) or 10) and got["state"] in ("paused", "stopped"), got
        print(f"10 Step clicks before any frame (all 10 ahead of the frames): step {got['step']}")

        run.click()                         # Pause at once: the button turned into Pause on the click
        page.locator(".unlearn-controls button[data-action=pause]").click(delay=0)
        paused = page.evaluate(STATUS)
        assert paused["state"] in ("paused", "stopped") and paused["button"] == "Run", paused
        page.wait_for_function(MORE_FRAMES, arg=paused["frames"], timeout=TIMEOUT_MS)
        assert page.evaluate(STATUS)["step"] == paused["step"]          # frames came; the player stayed put

        run.click()                         # Reset at once: step 0, paused
        page.locator(".unlearn-controls button[data-action=reset]").click(delay=0)
        reset = page.evaluate(STATUS)
        assert reset["step"] == 0 and reset["state"] == "paused" and reset["button"] == "Run", reset
        page.wait_for_function(MORE_FRAMES, arg=reset["frames"], timeout=TIMEOUT_MS)
        assert page.evaluate(STATUS)["step"] == 0

        for _ in range(20):                 # faster than any rerun: each click is one step
            step.click(delay=0)
        page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
        got = page.evaluate(STATUS)
        stop = stop_step(got["banner"])
        assert got["step"] == min(20, stop if stop is not None else 20), got
        assert got["pending"] == 0 and got["state"] in ("paused", "stopped"), got
        print(f"20 Step clicks from step 0: step {got['step']} (the run stops at {stop})")
