"""Display-only settings never reset a run (issue 23): app_config.DISPLAY_ONLY is the one definition. Changing one
leaves every key a run is shared by unchanged (the engine's Experiment, the preparation's, each Side by side
method's and each Compare plan's), and on the Unlearn and Side by side pages the player keeps its recordings and
its place on the page (a player that moves is mounted afresh, and its playback starts over at step 0)."""
from __future__ import annotations

from dataclasses import fields, replace

import pytest

from app_testing import TINY_EPOCHS, open_page, player_data, wait_until_prepared
from app_ui.app_config import DISPLAY_ONLY, AppConfig, ViewConfig
from app_ui.classroom import Presentation
from app_ui.compare_page import FIGURE_1, method_plan
from app_ui.side_by_side_page import method_experiments

CHANGED = {"speed": 4.0, "trails": False, "present": True}


def keys(cfg: AppConfig) -> tuple:
    preparation = (cfg.prep_key(), cfg.view.points)          # jobs.resources.prepare_job's key (the map)
    return cfg.experiment(), preparation, method_plan(cfg, list(FIGURE_1)), method_experiments(cfg, list(FIGURE_1))


@pytest.mark.parametrize("name", DISPLAY_ONLY)
def test_a_display_only_setting_changes_no_key_a_run_is_shared_by(name):
    cfg = AppConfig()
    changed = replace(cfg, view=replace(cfg.view, **{name: CHANGED[name]}))
    assert getattr(changed.view, name) != getattr(cfg.view, name)
    assert keys(changed) == keys(cfg)
    assert Presentation.of(changed) != Presentation.of(cfg)          # ... and only how it is drawn changes


def test_every_view_setting_is_display_only_or_part_of_the_recording():
    """A new view setting must say which it is: display-only, or a change to what the engine records."""
    cfg = AppConfig()
    for f in fields(ViewConfig):
        if f.name in DISPLAY_ONLY:
            continue
        other = f.default * 2 if not isinstance(f.default, bool) else not f.default
        assert keys(replace(cfg, view=replace(cfg.view, **{f.name: other}))) != keys(cfg), f.name


def player_place(node, path=()) -> tuple | None:
    """Where the player sits in the page's element tree (Streamlit's delta path, which identifies the element)."""
    for index, child in getattr(node, "children", {}).items():
        proto = getattr(child, "proto", None)
        if getattr(proto, "component_name", "").endswith("unlearn_player"):
            return (*path, index)
        found = player_place(child, (*path, index))
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("page", ["pages/unlearn.py", "pages/side_by_side.py"])
def test_toggling_display_settings_keeps_the_players_place_and_recordings(page, monkeypatch):
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
    at = wait_until_prepared(open_page(page))
    place, lanes = player_place(at.main), [lane["id"] for lane in player_data(at)["lanes"]]
    assert place is not None and lanes

    def unchanged(what: str) -> None:
        assert not at.exception, what
        assert player_place(at.main) == place and [lane["id"] for lane in player_data(at)["lanes"]] == lanes, what

    at.sidebar.toggle(key="cfg.trails").set_value(False).run()
    unchanged("trails off")
    at.sidebar.number_input(key="cfg.speed").set_value(4.0).run()
    unchanged("speed 4x")
    at.sidebar.toggle(key="cfg.present").set_value(True).run()
    unchanged("classroom mode on")
    at.button(key="classroom_leave").click().run()
    unchanged("classroom mode off")
