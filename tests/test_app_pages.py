"""Every page of the app runs without an exception (AppTest), and bad settings get a message, not a traceback."""
from __future__ import annotations

import pytest

from app_testing import TINY_EPOCHS, open_page, player_data, wait_until_prepared
from app_ui.app_config import MODE_ONLY, app_settings
from app_ui.sidebar import W


@pytest.fixture(autouse=True, scope="module")
def tiny_recipe():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
        yield


def test_home_page_offers_a_one_click_start_and_the_presets():
    at = open_page()
    assert not at.exception
    assert at.button(key="start").label.startswith("Start")
    assert {b.key for b in at.button} >= {"open_forget-digit", "open_forget-samples", "open_no-ce", "open_lr-too-high"}
    assert at.sidebar.selectbox(key="cfg.dataset").value == "digits"


def test_the_start_page_draws_before_its_sidebar_and_follows_a_change_made_there():
    # app.py draws the Start page first and the sidebar after it (the browser then fetches the page's element code
    # first), so the page has read the configuration before the sidebar's change: it must be drawn again with it.
    at = open_page()
    at.sidebar.number_input(key=W + "points").set_value(200).run()
    assert not at.exception and at.session_state["app_config"].view.points == 200
    present_links = [link.proto.url for link in at.get("link_button")]
    assert present_links and all("points=200&" in url for url in present_links), present_links


def test_the_start_button_opens_the_unlearn_page_and_runs():
    at = open_page(seed="3")
    at.button(key="start").click().run()
    assert not at.exception
    assert at.session_state["app_config"].forget.seed == 0            # the preset's configuration...
    assert at.query_params["preset"] == "forget-digit"                # ...is in the URL
    # AppTest does not follow a script's st.switch_page (the browser test does): open the page it names.
    wait_until_prepared(at.switch_page("pages/unlearn.py").run())
    # Autorun: no second click needed. The engine started with the page, and the player plays on arrival.
    data = player_data(at)
    assert data["autoplay"] is True and data["lanes"][0]["id"].startswith("rec-")
    assert data["lanes"][0]["state"] in ("recording", "done")
    at.run()
    assert player_data(at)["autoplay"] is False                       # once: a rerun does not restart the play


def test_how_it_works_shows_the_loss_the_rules_and_the_engine_code():
    at = open_page("pages/how_it_works.py")
    assert not at.exception
    assert any(r"\lambda_{CE}" in latex.value for latex in at.latex)
    code = "\n".join(c.value for c in at.code)
    assert "def contrastive_loss" in code and "def contrastive_updates" in code and "def termination_test" in code
    assert len(at.dataframe) == 1                                       # the paper's reference figures
    assert "Leaving the cluster, in numbers" in [h.value for h in at.subheader]
    assert any("centroid margin" in m.value and "not the extreme" in m.value for m in at.markdown)


def test_unlearn_page_prepares_then_offers_the_controls():
    at = wait_until_prepared(open_page("pages/unlearn.py"))
    assert not at.exception
    assert any("Forget one digit" in i.value for i in at.info)         # the matching preset's story
    # The map shows from the start: the idle lane's original map, or, where an earlier test's Start already
    # shares this experiment's recording, its frames or (before the engine's first step) the preview.
    [lane] = player_data(at)["lanes"]
    shown = lane["frames"][0] if lane["frames"] else lane["preview"]
    assert lane["title"] == "Contrastive" and shown["map"] is not None


def test_a_sample_count_larger_than_the_training_set_gets_a_message():
    at = wait_until_prepared(open_page("pages/unlearn.py", mode="sample", count="5000"))
    assert not at.exception
    assert any("forget count must be between 1 and" in e.value for e in at.error)
    assert any(b.label == "Try again" for b in at.button)


def test_an_empty_objective_gets_a_message():
    at = wait_until_prepared(open_page("pages/unlearn.py"))
    at.number_input(key="cfg.lambda_ul").set_value(0.0)
    at.number_input(key="cfg.lambda_ce").set_value(0.0)
    at.run()
    assert not at.exception
    assert any("objective is empty" in e.value for e in at.error)


def test_a_dataset_without_its_files_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("UNLEARN_DATA_DIR", str(tmp_path))
    at = wait_until_prepared(open_page("pages/unlearn.py", dataset="mnist"))
    assert not at.exception
    assert any("python -m unlearn_core run --dataset mnist" in e.value for e in at.error)
    assert any("digits" in i.value for i in at.info)


def test_url_values_that_do_not_parse_are_ignored_with_a_warning():
    at = open_page(lr="fast", mode="sideways")
    assert not at.exception
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "lr='fast'" in warnings and "mode='sideways'" in warnings
    assert at.query_params["lr"] == "0.01" and at.query_params["mode"] == "class"


def test_a_repeated_url_key_and_a_huge_value_get_one_short_warning_each():
    at = open_page(lr=["0.02", "0.05"], tau="9" * 10_000)
    assert not at.exception
    warnings = [w.value for w in at.sidebar.warning]
    assert "URL parameter lr is given 2 times ('0.02', '0.05'): using the last, '0.05'" in warnings, warnings
    [tau] = [w for w in warnings if w.startswith("ignored URL parameter tau=")]
    assert len(tau) < 300 and "(10,000 characters)" in tau, tau
    assert at.query_params["lr"] == "0.05"        # the URL is rewritten with the one value used


def test_a_preset_button_sets_the_sidebar_and_keeps_its_own_hyperparameters():
    at = open_page("pages/unlearn.py", seed="1", lr="0.02", mode="sample")
    at.button(key="preset_no-ce").click().run()
    assert not at.exception
    cfg = at.session_state["app_config"]
    assert (cfg.forget.mode, cfg.forget.seed, cfg.hyper.lambda_ce, cfg.hyper.lr) == ("class", 0, 0.0, 0.01)
    assert at.number_input(key="cfg.lambda_ce").value == 0.0 and at.sidebar.radio(key="cfg.mode").value == "class"
    assert at.query_params["preset"] == "no-ce"
    assert any("No CE term" in i.value for i in at.info)


def test_an_unknown_url_key_is_named_with_the_key_meant():
    at = open_page(forget_class="99")
    assert not at.exception
    assert "ignored URL parameter forget_class='99': unknown key; did you mean class?" in [
        w.value for w in at.sidebar.warning]
    assert "forget_class" not in at.query_params and at.query_params["class"] == "5"


def sidebar_keys(at) -> set[str]:
    return {w.key for kind in ("number_input", "selectbox", "radio", "toggle", "text_input")
            for w in getattr(at.sidebar, kind) if w.key and w.key.startswith(W)}


@pytest.mark.parametrize("mode", ["class", "sample"])
def test_every_declared_setting_has_its_sidebar_widget(mode):
    """The widgets are generated from app_settings(), the same declarations that make the URL: one widget per
    URL key (less those of the other forget mode), labelled and explained by its Setting."""
    at = open_page(mode=mode)
    expected = {W + s.url for _, s in app_settings() if MODE_ONLY.get(s.name, mode) == mode}
    assert sidebar_keys(at) == expected
    by_key = {s.url: s for _, s in app_settings()}
    lr = at.sidebar.number_input(key=W + "lr")
    assert lr.label == by_key["lr"].label and lr.help.startswith(by_key["lr"].help_text())
    # No browser-side bounds: the browser would refuse an out-of-range value silently; the app says why.
    assert lr.min is None and lr.max is None and "Allowed: > 0 and <= 10" in lr.help


def test_a_value_the_setting_refuses_is_not_applied_and_says_why():
    at = open_page()
    at.sidebar.number_input(key=W + "lr").set_value(0.0).run()       # within the widget's bounds, but lr > 0
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert errors == ["Learning rate: lr must be a number > 0 and <= 10, got 0.0. Not applied; still using 0.01."]
    assert at.session_state["app_config"].hyper.lr == 0.01 and at.query_params["lr"] == "0.01"
    assert at.sidebar.number_input(key=W + "lr").value == 0.0          # the typed value stays visible, flagged
    at.sidebar.number_input(key=W + "lr").set_value(0.02).run()
    assert not at.sidebar.error and at.query_params["lr"] == "0.02"


@pytest.mark.parametrize("key, typed, reason", [
    ("class", -1, "Forget class: forget-class must be"), ("seed", -1, "Seed: seed must be"),
    ("lr", -1.0, "Learning rate: lr must be"), ("batch_size", 0, "Batch size: batch-size must be")])
def test_a_typed_out_of_range_value_reaches_the_app_and_is_refused_with_its_reason(key, typed, reason):
    at = open_page(**{"class": "6", "seed": "62"})
    before = dict(at.query_params)
    at.sidebar.number_input(key=W + key).set_value(typed).run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and errors[0].startswith(reason) and "Not applied; still using" in errors[0], errors
    assert dict(at.query_params) == before                            # the run keeps the value in use
    assert at.sidebar.number_input(key=W + key).value == typed         # and the typed value stays, flagged


def test_chosen_samples_that_do_not_parse_are_not_applied():
    at = open_page(mode="sample", indices="3,17")
    at.sidebar.text_input(key=W + "indices").input("3, x").run()
    assert not at.exception
    assert any("Chosen samples: forget-indices expects comma-separated whole numbers" in e.value and "still using 3,17"
               in e.value for e in at.sidebar.error)
    assert at.session_state["app_config"].forget.indices == (3, 17)
