"""AppConfig: the URL form is generated from the settings' declarations, holds the whole configuration and
reads back to the same one; bad or unknown URL parameters are ignored with a message; the engine
Experiment it stands for."""
from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

import app_ui.app_config as app_config
from app_ui.app_config import (PRESET_KEY, TRAIN_EPOCHS_ENV, AppConfig, ViewConfig, app_settings, train_recipe,
                               unknown_key_reason)
from unlearn_core import DataConfig, ForgetConfig, ModelConfig, UnlearnConfig, UserInputError
from unlearn_core.configs import default_train_config, default_unlearn_config
from unlearn_core.settings import setting, settings

# The URL keys links in the wild use (README, presets, shared links): they must keep working. (A setting
# declared later adds its key; none of these may go.)
URL_KEYS = {"dataset", "model", "mode", "class", "count", "indices", "seed", "device", "paper", "tau", "lambda_ul",
            "lambda_ce", "omega", "lr", "momentum", "batch_size", "max_rounds", "max_steps", "eval_every", "points",
            "frame_every", "speed"}


@pytest.mark.parametrize("cfg", [
    AppConfig(),
    replace(AppConfig.defaults("digits", "sample"), forget=ForgetConfig(mode="sample", seed=4, count=37,
                                                                        indices=(3, 17, 42)),
            view=ViewConfig(speed=4.0, points=250)),
    replace(AppConfig.defaults("cifar10", "class", paper=True), model=ModelConfig("resnet18"),
            forget=ForgetConfig(forget_class=2), device="cpu", view=ViewConfig(frame_every=5)),
    replace(AppConfig(), hyper=replace(AppConfig().hyper, lr=0.0123456789, tau=0.25, omega=2, lambda_ce=0.0)),
])
def test_the_url_form_reads_back_to_the_same_configuration(cfg):
    query = cfg.to_query()
    assert all(isinstance(v, str) for v in query.values())
    assert URL_KEYS <= set(query)
    assert AppConfig.from_query(query) == (cfg, [])


def test_the_url_keys_are_the_declared_settings():
    """Every declared setting with a URL key, and nothing else: a setting declared on an engine config is in
    the URL (and the sidebar, which draws app_settings()) without a line in the app."""
    declared = {s.url for cls in (DataConfig, ModelConfig, ForgetConfig, UnlearnConfig, ViewConfig, AppConfig)
                for s in settings(cls) if s.url != "-"}
    assert {s.url for _, s in app_settings()} == declared >= URL_KEYS
    assert set(AppConfig().to_query()) == declared


def test_a_new_setting_declared_on_the_unlearn_config_reaches_the_url(monkeypatch):
    @dataclass(frozen=True)
    class Extended(UnlearnConfig):
        warmup: int = setting(0, "Steps before the loss is switched on.", label="Warm-up", low=0, high=100)

    monkeypatch.setattr(app_config, "SECTIONS", tuple((name, Extended if cls is UnlearnConfig else cls)
                                                      for name, cls in app_config.SECTIONS))
    cfg = replace(AppConfig(), hyper=Extended(**vars(AppConfig().hyper)))
    assert cfg.to_query()["warmup"] == "0"
    changed, problems = AppConfig.from_query({"warmup": "7"}, base=cfg)
    assert not problems and changed.hyper.warmup == 7
    _, problems = AppConfig.from_query({"warmup": "700"}, base=cfg)
    assert problems == ["ignored URL parameter warmup='700': warmup must be a whole number >= 0 and <= 100, "
                        "got 700"]


def test_missing_parameters_take_the_defaults_of_the_urls_dataset_and_mode():
    cfg, problems = AppConfig.from_query({"mode": "sample"})
    assert not problems
    assert cfg.hyper == default_unlearn_config("digits", "sample")
    paper, _ = AppConfig.from_query({"paper": "1"})
    assert paper.hyper == default_unlearn_config("digits", "class", paper=True)


@pytest.mark.parametrize("key,value", [("lr", "-1"), ("lr", "nan"), ("omega", "2.5"), ("dataset", "imagenet"),
                                       ("points", "3"), ("speed", "60"), ("indices", "1,x"), ("paper", "maybe")])
def test_a_value_that_does_not_parse_is_ignored_with_a_message(key, value):
    cfg, problems = AppConfig.from_query({key: value})
    assert cfg == AppConfig()
    assert len(problems) == 1 and f"{key}={value!r}" in problems[0]
    assert "\n" not in problems[0]


@pytest.mark.parametrize("key,meant", [("forget_class", "class"), ("forget-count", "count"), ("Lr", "lr"),
                                       ("lamda_ce", "lambda_ce"), ("paper_defaults", "paper")])
def test_an_unknown_key_is_reported_with_the_key_meant(key, meant):
    cfg, problems = AppConfig.from_query({key: "3", "seed": "2"})
    assert cfg.forget.seed == 2                                       # the rest of the link still applies
    assert problems == [f"ignored URL parameter {key}='3': unknown key; did you mean {meant}?"]


def test_an_unknown_key_without_a_likely_meaning_says_so_and_the_preset_key_is_left_to_the_sidebar():
    assert unknown_key_reason("zzz") == "unknown key"
    assert AppConfig.from_query({PRESET_KEY: "no-ce"}) == (AppConfig(), [])


def test_an_empty_objective_in_a_url_keeps_the_other_values():
    cfg, problems = AppConfig.from_query({"lambda_ul": "0", "lambda_ce": "0", "seed": "3"})
    assert cfg.forget.seed == 3 and cfg.hyper == AppConfig().hyper
    assert "objective is empty" in problems[0]


def test_the_experiment_carries_every_setting():
    cfg = replace(AppConfig.defaults("digits", "sample"), forget=ForgetConfig(mode="sample", count=20, seed=5),
                  view=ViewConfig(frame_every=3), device="cpu")
    exp = cfg.experiment()
    assert (exp.forget.mode, exp.forget.count, exp.forget.seed, exp.device) == ("sample", 20, 5, "cpu")
    assert exp.unlearn_config().seed == 5 and exp.unlearn_config().probe_every == 3
    # What does not apply to the mode stays at its default, so it cannot split the model and map caches.
    assert (AppConfig().updated({"count": 10}).prep_key() == AppConfig().updated({"count": 99}).prep_key())
    assert cfg.updated({"class": 3}).prep_key() == cfg.prep_key()
    assert cfg.prep_key().unlearn is None


def test_settings_change_by_url_key():
    cfg = AppConfig().updated({"lr": 0.05, "class": 3, "speed": 4.0, "device": "cpu", "dataset": "mnist"})
    assert (cfg.hyper.lr, cfg.forget.forget_class, cfg.view.speed, cfg.device, cfg.data.dataset) == (
        0.05, 3, 4.0, "cpu", "mnist")
    assert cfg.values()["class"] == 3 and set(cfg.values()) == set(cfg.to_query()) >= URL_KEYS


def test_validate_names_what_is_wrong():
    with pytest.raises(UserInputError, match="unknown dataset 'nope'"):
        AppConfig().updated({"dataset": "nope"}).validate()
    with pytest.raises(UserInputError, match="lr must be a number > 0"):
        AppConfig().updated({"lr": 0.0}).validate()
    with pytest.raises(UserInputError, match="points must be a whole number >= 20"):
        AppConfig().updated({"points": 3}).validate()


def test_the_training_recipe_can_be_shortened_for_tests(monkeypatch):
    monkeypatch.delenv(TRAIN_EPOCHS_ENV, raising=False)
    assert train_recipe("digits") == default_train_config("digits")
    monkeypatch.setenv(TRAIN_EPOCHS_ENV, "3")
    assert train_recipe("digits").epochs == 3
    assert AppConfig().experiment().train_config().epochs == 3
    monkeypatch.setenv(TRAIN_EPOCHS_ENV, "three")
    with pytest.raises(UserInputError, match=TRAIN_EPOCHS_ENV):
        train_recipe("digits")


@pytest.mark.parametrize("key,value", [("lr", "9" * 10_000), ("dataset", "x" * 10_000), ("l" * 10_000, "3"),
                                       ("indices", "1,x" * 5_000)])
def test_a_long_url_value_or_key_is_quoted_by_a_short_prefix_and_its_length(key, value):
    cfg, problems = AppConfig.from_query({key: value, "seed": "2"})
    assert cfg.forget.seed == 2 and len(problems) == 1
    assert len(problems[0]) < 300 and "\n" not in problems[0], problems[0]
    assert f"({len(value) if len(value) > 100 else len(key):,} characters)" in problems[0], problems[0]


def test_a_repeated_url_key_is_reported_and_its_last_value_used():
    cfg, problems = AppConfig.from_query({"lr": ["0.02", "0.05"], "seed": "1"})
    assert cfg.hyper.lr == 0.05 and cfg.forget.seed == 1
    assert problems == ["URL parameter lr is given 2 times ('0.02', '0.05'): using the last, '0.05'"]
    # A bad last value is both reported as repeated and ignored.
    cfg, problems = AppConfig.from_query({"lr": ["0.02", "-1"]})
    assert cfg.hyper.lr == AppConfig().hyper.lr and len(problems) == 2 and "given 2 times" in problems[0]
