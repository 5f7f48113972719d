"""A live run whose timer-driven fragment reruns never reach the server still ends (app_ui/fragment_guard.py).

That is what ten sessions on 2 busy cores did to some pages: the browser's run_every timer asked for a
fragment the server had dropped, every request was ignored, and the page stood still at step 0 or 1. Here
the browser's websocket is routed through the test, which drops every fragment rerun the page sends (a
BackMsg rerun_script with a fragment id) and passes everything else. Only the guard's whole-page reruns
then reach the server, and each one ticks the run once: the run must reach its stop banner, and the
server's log must say why it got there. Nothing is timed here: the test waits for the banner.
"""
from __future__ import annotations

from contextlib import closing

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from browser_helpers import browser, screenshot_on_failure, server  # noqa: F401 (fixtures)

PREPARE_MS = 480_000
RUN_MS = 300_000
STEPS = 3


def is_fragment_rerun(message) -> bool:
    if isinstance(message, str):
        return False
    msg = BackMsg.FromString(message)
    return msg.WhichOneof("type") == "rerun_script" and bool(msg.rerun_script.fragment_id)


@pytest.mark.browser
def test_a_run_whose_fragment_reruns_are_lost_still_reaches_its_stop(server, browser):  # noqa: F811 (fixtures)
    base, log = server
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    dropped = []

    def route(ws) -> None:
        to_server = ws.connect_to_server()

        def from_page(message) -> None:
            if is_fragment_rerun(message):
                dropped.append(1)
            else:
                to_server.send(message)
        ws.on_message(from_page)
        to_server.on_message(ws.send)

    page.route_web_socket("**/_stcore/stream", route)
    with closing(page), screenshot_on_failure(page, "fragment_guard_failure.png", log):
        page.goto(f"{base}/unlearn?points=100&max_steps={STEPS}&fps=4", timeout=PREPARE_MS)
        run = page.get_by_role("button", name="Run", exact=True)
        run.wait_for(timeout=PREPARE_MS)
        run.click()
        banner = page.get_by_test_id("stAlert").filter(has_text="Stopped at step")
        banner.wait_for(timeout=RUN_MS)
        assert f"Stopped at step {STEPS}:" in banner.inner_text(), banner.inner_text()
        # The guard and the beat draw nothing and take no room on the page.
        hidden = page.locator('[class*="st-key-fragment_"]').evaluate_all(
            "els => els.map(e => getComputedStyle(e).display)")
        assert hidden and set(hidden) == {"none"}, hidden
    assert dropped, "the page sent no fragment rerun: the test dropped nothing"
    assert "fragment live_view: no run for" in log.read_text(), log.read_text()[-3000:]
