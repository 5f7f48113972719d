"""Classroom mode's settings: present and trails round-trip through the URL, change how a run is drawn but
not which run it is, and every preset's Present link opens it in classroom mode."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest

from app_testing import TINY_EPOCHS, figures, open_page, trace_names, wait_until_prepared
from app_ui.app_config import AppConfig, ViewConfig
from app_ui.classroom import CAPTION_CLASS, TRAILS_KEY, present_href
from app_ui.figures import START_TRACE, TRAIL_TRACE
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


def test_drawing_settings_keep_the_run_and_the_others_do_not():
    view = ViewConfig(points=300)
    drawn_differently = replace(view, present=True, trails=False, fps=4.0)
    assert drawn_differently.for_the_run() == view.for_the_run()
    assert replace(view, points=200).for_the_run() != view.for_the_run()


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


def test_classroom_mode_draws_no_sidebar_and_no_settings_but_the_controls_and_the_story(classroom_page):
    at = classroom_page
    assert not at.exception
    assert len(at.sidebar) == 0                                           # nothing drawn in the sidebar
    assert not at.number_input and not at.selectbox                        # no hyperparameter anywhere
    keys = {b.key for b in at.button}
    assert {"btn_reset", "btn_run", "btn_step", "btn_replay", "classroom_leave"} <= keys
    assert not any(k.startswith("preset_") for k in keys)                 # the preset bar is gone too
    start = preset_by_id("forget-digit").captions[0].text
    assert any(CAPTION_CLASS in h.proto.body and start in h.proto.body for h in at.get("html"))
    assert at.query_params["present"] == "1"


def test_trails_switch_off_in_classroom_mode_without_resetting_the_run(classroom_page):
    at = classroom_page
    at.button(key="btn_step").click().run()
    run = at.session_state["unlearn_run"].run
    assert run.step == 1
    at.toggle(key=TRAILS_KEY).set_value(False).run()
    assert not at.exception and at.query_params["trails"] == "0"
    assert at.session_state["unlearn_run"].run is run                    # the same run, still at step 1
    map_traces = trace_names(figures(at)[0])
    assert TRAIL_TRACE not in map_traces and START_TRACE in map_traces


def test_leaving_classroom_mode_brings_the_sidebar_back(classroom_page):
    at = classroom_page
    at.button(key="classroom_leave").click().run()
    assert not at.exception and at.query_params["present"] == "0"
    assert len(at.sidebar) > 0 and at.sidebar.toggle(key="cfg.present").value is False
