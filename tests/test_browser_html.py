"""The downloaded HTML figure plays offline: a run recorded here, in-process (digits, forget class 5, the short
recipe, a stand-in map layout: UMAP is not what is tested), written by app_ui.results.player_html to a file and
opened over file:// in Chromium with no server at all and every network request refused.

Checked: Run at 4x plays the embedded frames to the stop banner (the recording's own stop), the player holds
every frame of the recording (data-frames), the page asks the network for nothing, and hovering a forget sample
shows its image.
"""
from __future__ import annotations

from contextlib import closing
from dataclasses import replace

import numpy as np
import pytest

from browser_helpers import (ARTIFACTS, MAP_DRAWN_AT_LEAST, WATCH_STEPS, browser,  # noqa: F401 (fixture)
                             hover_shows_image, map_marks)


@pytest.fixture(scope="module")
def recorded(class_prep):
    """(prepared map, finished recording): every step a map frame, driven step by step as the app's job does."""
    from app_ui.live.prepared_map import PreparedMap
    from app_ui.live.recording import Recording
    from app_ui.live.thumbnails import png_data_uris
    from unlearn_core.metrics import infer
    from unlearn_core.projection import MapProjection, MapSettings

    split = class_prep.split
    out = infer(class_prep.original.model, class_prep.data, "train", split.probe, class_prep.device)
    layout = np.random.default_rng(0).normal(size=(len(split.probe), 2)).astype(np.float32)
    prepared = PreparedMap(class_prep, MapProjection(out.embeddings.numpy(), layout, ~split.probe_is_forget,
                                                     MapSettings()),
                           png_data_uris(class_prep.data.train_x, split.probe), out.probs().numpy())
    cfg = replace(class_prep.exp.unlearn_config(), probe_every=1)
    rec = Recording(prepared, replace(class_prep.exp, unlearn=cfg))
    for step in rec.steps():
        rec.add(step)
    assert rec.final is not None and rec.frames[-1].step == rec.final.step
    return prepared, rec


@pytest.mark.browser
def test_the_downloaded_player_plays_offline_to_its_stop_with_every_frame_and_hover_images(recorded, browser,  # noqa: F811
                                                                                          tmp_path):
    from app_ui.results import player_html

    prepared, rec = recorded
    path = tmp_path / "player.html"
    path.write_text(player_html(prepared, rec))
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    asked: list[str] = []

    def offline(route) -> None:          # no server: anything but the file itself is refused (and noted)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()
    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    with closing(context):
        page.goto(path.as_uri())
        run = page.locator(".unlearn-controls button[data-action=run]")
        run.wait_for(timeout=30_000)
        page.wait_for_function(MAP_DRAWN_AT_LEAST, arg=len(prepared.prep.split.probe), timeout=30_000)
        assert page.locator(".unlearn-player").get_attribute("data-frames") == str(len(rec.frames))

        page.locator(".unlearn-speed").select_option("4")
        run.click()
        banner = page.locator(".unlearn-banner", has_text="Stopped at step")
        banner.wait_for(timeout=60_000)             # 4x: 8 steps a second, whatever the machine
        assert banner.inner_text().startswith(f"Stopped at step {rec.final.step}: {rec.final.stop_reason}")
        status = page.locator(".unlearn-status")
        assert (status.get_attribute("data-state"), status.get_attribute("data-step")) == ("stopped",
                                                                                         str(rec.final.step))
        assert page.locator(".unlearn-player").get_attribute("data-frames") == str(len(rec.frames))

        # A page that cannot keep time (here its main thread is held for a second as the replay shows step 2, as a
        # starved browser's is) drops the glides for a while, never a step: the replay still shows every step.
        page.evaluate(WATCH_STEPS)
        page.evaluate("""() => new MutationObserver((_, observer) => {
            if (document.querySelector('.unlearn-status').getAttribute('data-step') !== '2') return;
            observer.disconnect();
            const until = performance.now() + 1000; while (performance.now() < until);
          }).observe(document.querySelector('.unlearn-status'), {attributes: true, attributeFilter: ['data-step']})""")
        page.locator(".unlearn-controls button[data-action=replay]").click()
        page.wait_for_function("(n) => window.__shown.length === n + 2", arg=rec.final.step, timeout=60_000)
        assert page.evaluate("() => window.__shown") == [rec.final.step, *range(rec.final.step + 1)]
        player = page.evaluate("() => { const root = document.querySelector('.unlearn-player');"
                               " return [root.__unlearnPlayer.state.behindCount, root.getAttribute('data-glide')]; }")
        assert player[0] >= 1 and player[1] == "off", player

        # Every curve chart marks the shown step (the replay's last), once.
        markers = page.evaluate("() => [...document.querySelectorAll('.unlearn-curve')].map((c) => [...c"
                                ".querySelectorAll('.unlearn-step-marker')].map((m) => [m.getAttribute('data-step'),"
                                " getComputedStyle(m).display]))")
        assert markers == [[[str(rec.final.step), "block"]]] * 3, markers

        # Hovering a forget sample (a diamond on the map's canvas) shows its image beside the map's text box.
        diamonds = map_marks(page, "forget sample")
        assert len(diamonds) == int(prepared.prep.split.probe_is_forget.sum()), len(diamonds)
        src = hover_shows_image(page, diamonds)
        assert src is not None, "hovering forget samples never showed their image"
        assert src in prepared.thumbnails
        page.screenshot(path=str(ARTIFACTS / "player_html_offline.png"), full_page=True)
        assert asked == [] and errors == [], (asked, errors)
