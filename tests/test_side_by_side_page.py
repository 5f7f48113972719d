"""The Side by side page under Streamlit's AppTest: too few methods is a message; the chosen methods are lanes
of one player on one map, started together by Run; a failing method is a message and the others go on."""
from __future__ import annotations

import pytest

from app_testing import TINY_EPOCHS, Browser, open_page, send, wait_until_prepared
from app_ui.live.recording import RECORDINGS

PAGE = "pages/side_by_side.py"
METHODS_KEY = "side_by_side.methods"          # app_ui.side_by_side_page.METHODS_KEY
PLAYER_KEY = "side_by_side.player"


@pytest.fixture(autouse=True, scope="module")
def tiny_recipe():
    """The app trains the tests' short recipe, whose model the session's cache already holds."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
        yield


def test_fewer_than_two_methods_is_a_message():
    at = open_page(PAGE)
    at.multiselect(key=METHODS_KEY).set_value(["contrastive"]).run()
    assert not at.exception
    assert any("Choose 2 to 4 methods" in info.value for info in at.info)
    assert not at.get("bidi_component") or not any(
        c.proto.component_name.endswith("unlearn_player") for c in at.get("bidi_component"))


def test_the_methods_are_lanes_of_one_player_and_a_failing_one_is_a_message(class_prep):
    at = wait_until_prepared(open_page(PAGE, seed="21"))
    assert not at.exception
    browser = Browser()
    data = send(at, browser, "want", key=PLAYER_KEY)      # a browser with nothing yet is sent everything
    assert [lane["title"] for lane in data["lanes"]] == ["Contrastive", "NegGrad", "Finetune"]
    assert all(lane["state"] == "idle" for lane in data["lanes"])
    assert len(set(data["static"]["lane_colors"])) == 3                    # one colour per method
    at.multiselect(key=METHODS_KEY).set_value(["contrastive", "neggrad"]).run()   # two: a shorter test
    data = send(at, browser, "want", key=PLAYER_KEY)

    def broken():
        raise RuntimeError("out of memory\nsecond line")
    neggrad = RECORDINGS.by_id(data["lanes"][1]["id"].removeprefix("idle-"))
    neggrad.steps = broken
    send(at, browser, "run", key=PLAYER_KEY)
    for lane_id in browser.ids:
        RECORDINGS.by_id(lane_id).job.wait(120)
    data = send(at, browser, "want", key=PLAYER_KEY)
    assert not at.exception
    assert [lane["state"] for lane in data["lanes"]] == ["done", "failed"]
    assert [e.value for e in at.error] == ["NegGrad: the run failed: RuntimeError: out of memory"]
    # The other goes on: every step, to its stop.
    assert [f["step"] for f in browser.frames(0)] == list(range(data["lanes"][0]["final"]["step"] + 1))
