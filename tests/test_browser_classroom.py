"""Classroom mode in Chromium on the real server: the "Forget one digit" preset presented at a projector's
1280x720.

Checked: no sidebar; the map and the accuracy chart start on the first screen; Run at 4x tells the preset's story:
every caption the player shows (watched by a MutationObserver in the page, so none is missed however fast the
machine) is the preset's captions in the order the story tells them (captions/assets/presets.json), and the last
one is its stop caption; toggling Trails (the header's toggle: a rerun of the whole page) keeps the recording: the
player keeps its frames (data-frames never changes) and the stop banner stays.

The story's captions belong to the preset only while the settings are the preset's (seed 0 included), so this
test's own recording comes from a map size no other browser test uses, not from a seed of its own.
"""
from __future__ import annotations

from contextlib import closing
from types import SimpleNamespace

import pytest

from browser_helpers import ARTIFACTS, TIMEOUT_MS, browser, screenshot_on_failure, server  # noqa: F401 (fixtures)

POINTS = 240                 # this test's own map (and so its own recording); seed 0: the preset's
WIDTH, HEIGHT = 1280, 720

# Every distinct caption the player shows, in order: the caption element's text and display change in place.
WATCH_CAPTIONS = """() => { window.__captions = []; const root = document.querySelector('.unlearn-player');
  const note = () => { const el = root.querySelector('.story-caption');
    const text = el && el.style.display !== 'none' ? el.textContent : '';
    if (text && window.__captions[window.__captions.length - 1] !== text) window.__captions.push(text); };
  note();
  new MutationObserver(note).observe(root, {subtree: true, childList: true, characterData: true,
                                            attributes: true, attributeFilter: ['style']}); }"""
# Every value the player's data-frames takes from now on (a restarted recording would drop the frames held).
WATCH_FRAMES = """() => { const root = document.querySelector('.unlearn-player');
  window.__frames = [root.getAttribute('data-frames')];
  new MutationObserver(() => window.__frames.push(root.getAttribute('data-frames')))
    .observe(root, {attributes: true, attributeFilter: ['data-frames']}); }"""


def story_captions() -> list[str]:
    from app_ui.presets import preset_by_id

    return [c.text for c in preset_by_id("forget-digit").captions]


def told(shown: list[str], story: list[str]) -> list[int]:
    """The story positions of the captions shown, in the order shown (a shown caption may join several
    captions of moments that came at the same step: then it is their texts, in the story's order, joined)."""
    positions = []
    for text in shown:
        rest, joined = text, []
        while rest:
            i = next((i for i, c in enumerate(story) if rest.startswith(c)), None)
            assert i is not None, f"not the preset's caption: {rest!r}"
            joined.append(i)
            rest = rest[len(story[i]):].lstrip()
        positions += joined
    return positions


@pytest.mark.browser
def test_the_presented_preset_tells_its_story_in_order_and_trails_keep_the_recording(server, browser):  # noqa: F811
    base, log = server
    story = story_captions()
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    with closing(page), screenshot_on_failure(page, "classroom_failure.png", log):
        page.goto(f"{base}/unlearn?preset=forget-digit&present=1&points={POINTS}", timeout=TIMEOUT_MS)
        run = page.locator(".unlearn-controls button[data-action=run]")
        run.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("() => { const p = document.querySelector('.unlearn-acc'); return p && p.data; }",
                               timeout=60_000)
        assert "preset=forget-digit" in page.evaluate("location.href")       # still the preset: its story
        assert not page.get_by_test_id("stSidebar").is_visible()
        assert not page.get_by_test_id("stExpandSidebarButton").is_visible()
        # The first screen holds the controls, the map and the accuracy chart (they start within it).
        for selector in (".unlearn-controls", ".unlearn-map", ".unlearn-acc"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None and 0 <= box["y"] < HEIGHT - 150, (selector, box)
        page.screenshot(path=str(ARTIFACTS / "classroom_1280x720.png"))

        page.evaluate(WATCH_CAPTIONS)
        page.locator(".unlearn-speed").select_option("4")
        run.click()
        banner = page.locator(".unlearn-banner", has_text="Stopped at step")
        banner.wait_for(timeout=TIMEOUT_MS)
        shown = page.evaluate("() => window.__captions")
        positions = told(shown, story)
        assert positions[0] == 0, shown                                       # the start's caption first
        assert positions == sorted(set(positions)), (positions, shown)        # in story order, each once
        assert shown[-1].endswith(story[-1]), shown                           # the last: the stop's caption
        assert page.locator(".story-caption").inner_text() == shown[-1]

        # Trails off: the whole page reruns with the new drawing setting; the recording and the player stay.
        frames, banner_text = page.locator(".unlearn-player").get_attribute("data-frames"), banner.inner_text()
        assert int(frames) > 1
        page.evaluate(WATCH_FRAMES)
        key = page.locator(".map-key")
        assert "its trail" in key.inner_text()
        page.get_by_test_id("stCheckbox").filter(has_text="Trails").locator("label").click()
        page.wait_for_function("() => !document.querySelector('.map-key').textContent.includes('its trail')",
                               timeout=60_000)                               # the player has the new style
        assert "trails=0" in page.evaluate("location.href")
        assert set(page.evaluate("() => window.__frames")) == {frames}       # never dropped, never re-sent
        assert banner.inner_text() == banner_text
        assert page.locator(".unlearn-status").get_attribute("data-state") == "stopped"
        page.screenshot(path=str(ARTIFACTS / "classroom_trails_off.png"))


def test_captions_are_told_in_story_order_even_when_moments_come_out_of_it(monkeypatch):
    """The player's captions (payload.captions_part): a moment that comes before one the story tells earlier is
    told with it; a moment not reached holds back the rest while the run goes on, and is left out once it stopped."""
    from app_ui.classroom import Presentation
    from app_ui.live import payload
    from app_ui.live.story import Caption, Moment

    look = Presentation(captions=tuple(Caption(m, m.value) for m in (Moment.START, Moment.SECOND_ROUND,
                                                                      Moment.LEAVING, Moment.THRESHOLD, Moment.STOP)))
    monkeypatch.setattr(payload, "run_so_far", lambda rec: rec)
    monkeypatch.setattr(payload, "find_moments", lambda rec: rec.moments)

    def captions(done: bool, **steps) -> list[tuple[int, str]]:
        moments = {Moment(k): v for k, v in steps.items()}
        rec = SimpleNamespace(frames=[0], done=done, moments={Moment.START: 0, **moments})
        return [(c["step"], c["text"]) for c in payload.captions_part(look, rec)]

    # The digits preset on a small map: a diamond changes colour (step 12) just before round 2 (step 13).
    assert captions(True, round_2=13, leaving=12, threshold=20, stop=20) == [
        (0, "start"), (13, "round_2 leaving"), (20, "threshold stop")]
    assert captions(False, leaving=12) == [(0, "start")]                   # round 2 not reached yet: wait
    assert captions(True, leaving=7, stop=9) == [(0, "start"), (7, "leaving"), (9, "stop")]   # never round 2
    assert captions(False, round_2=3, leaving=7) == [(0, "start"), (3, "round_2"), (7, "leaving")]
