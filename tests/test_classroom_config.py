"""Classroom mode's settings: present and trails round-trip through the URL, change how a run is drawn but
not which recording it is, and every preset's Present link opens it in classroom mode."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest

from app_testing import TINY_EPOCHS, Browser, open_page, player_data, send, wait_until_prepared
from app_ui.app_config import AppConfig, ViewConfig
from app_ui.classroom import TRAILS_KEY, present_href
from app_ui.presets import load_presets, preset_by_id


def test_present_and_trails_round_trip_through_the_url():
    cfg, problems = AppConfig.from_query({"present": "1", "trails": "0", "class": "3"})
    assert not problems and cfg.view.present and not cfg.view.trails
    query = cfg.to_query()
    assert (query["present"], query["trails"]) == ("1", "0")
    assert AppConfig.from_query(query) == (cfg, [])
    back = cfg.updated({"present": False})
    assert back.to_query()["present"] == "0" and AppConfig.from_query(back.to_query()) == (back, [])
    assert AppConfig().to_query()["present"] == "0" and AppConfig().view.trails      # off and on by default


def test_a_bad_present_value_is_ignored_with_a_message():
    cfg, problems = AppConfig.from_query({"present": "maybe"})
    assert not cfg.view.present and len(problems) == 1 and "present" in problems[0]


def test_drawing_settings_keep_the_recording_and_the_others_do_not():
    # A recording is keyed by the engine's Experiment (and the map, which `points` sizes): what only changes how
    # it is drawn must leave the Experiment as it is; how often a step is a map frame changes what is recorded.
    cfg = AppConfig(view=ViewConfig(points=300))
    drawn_differently = replace(cfg, view=replace(cfg.view, present=True, trails=False, speed=4.0))
    assert drawn_differently.experiment() == cfg.experiment()
    assert replace(cfg, view=replace(cfg.view, frame_every=2)).experiment() != cfg.experiment()


@pytest.mark.parametrize("preset", load_presets(), ids=lambda p: p.id)
def test_each_presets_present_link_opens_it_in_classroom_mode(preset):
    href = present_href(preset.apply(AppConfig(view=ViewConfig(points=200))))
    url = urlsplit(href)
    assert url.path == "unlearn" and not href.startswith("/")           # relative: any base path works
    params = dict(parse_qsl(url.query))
    assert params["preset"] == preset.id and params["present"] == "1" and params["points"] == "200"
    cfg, problems = AppConfig.from_query(params, base=preset_by_id(params["preset"]).apply(AppConfig()))
    assert not problems and cfg.view.present and preset.matches(cfg)


@pytest.fixture(scope="module")
def classroom_page():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
        yield wait_until_prepared(open_page("pages/unlearn.py", preset="forget-digit", present="1"))


def test_classroom_mode_draws_no_sidebar_and_no_settings_but_the_player_and_the_story(classroom_page):
    at = classroom_page
    assert not at.exception
    assert len(at.sidebar) == 0                                           # nothing drawn in the sidebar
    assert not at.number_input and not at.selectbox                        # no hyperparameter anywhere
    send(at, Browser(), "want")                                            # a browser that has nothing yet
    keys = {b.key for b in at.button}
    assert "classroom_leave" in keys and not any(k.startswith("preset_") for k in keys)
    data = player_data(at)                                                 # the controls are the player's
    assert data["static"]["style"]["present"] and data["static"]["style"]["font"] > 12
    start = preset_by_id("forget-digit").captions[0].text
    assert data["captions"][0] == {"step": 0, "text": start}
    assert at.query_params["present"] == "1"


def test_trails_switch_off_in_classroom_mode_without_restarting_the_run(classroom_page):
    at = classroom_page
    browser = Browser()
    send(at, browser, "step")
    rec_id = browser.ids[0]
    assert rec_id.startswith("rec-")
    at.toggle(key=TRAILS_KEY).set_value(False).run()
    data = player_data(at)
    assert not at.exception and at.query_params["trails"] == "0"
    assert data["lanes"][0]["id"] == rec_id                                # the same recording goes on
    assert data["static"] is not None and data["static"]["style"]["trails"] is False   # drawn without trails


def test_leaving_classroom_mode_brings_the_sidebar_back(classroom_page):
    at = classroom_page
    at.button(key="classroom_leave").click().run()
    assert not at.exception and at.query_params["present"] == "0"
    assert len(at.sidebar) > 0 and at.sidebar.toggle(key="cfg.present").value is False
