"""AppConfig: the URL form holds the whole configuration and reads back to the same one; bad URL values
are ignored with a message; the engine Experiment it stands for."""
from __future__ import annotations

from dataclasses import replace

import pytest

from app_ui.app_config import TRAIN_EPOCHS_ENV, AppConfig, parse_indices, train_recipe
from unlearn_core import UserInputError
from unlearn_core.configs import default_train_config, default_unlearn_config


@pytest.mark.parametrize("cfg", [
    AppConfig(),
    AppConfig.defaults("digits", "sample", seed=4, count=37, indices=(3, 17, 42), fps=4.0, points=250),
    AppConfig.defaults("cifar10", "class", paper=True, model="resnet18", forget_class=2, device="cpu", frame_every=5),
    replace(AppConfig(), hyper=replace(AppConfig().hyper, lr=0.0123456789, tau=0.25, omega=2, lambda_ce=0.0)),
])
def test_the_url_form_reads_back_to_the_same_configuration(cfg):
    query = cfg.to_query()
    assert all(isinstance(v, str) for v in query.values())
    assert AppConfig.from_query(query) == (cfg, [])


def test_missing_parameters_take_the_defaults_of_the_urls_dataset_and_mode():
    cfg, problems = AppConfig.from_query({"mode": "sample"})
    assert not problems
    assert cfg.hyper == default_unlearn_config("digits", "sample")
    paper, _ = AppConfig.from_query({"paper": "1"})
    assert paper.hyper == default_unlearn_config("digits", "class", paper=True)


@pytest.mark.parametrize("key,value", [("lr", "-1"), ("lr", "nan"), ("omega", "2.5"), ("dataset", "imagenet"),
                                       ("points", "3"), ("fps", "60"), ("indices", "1,x"), ("paper", "maybe")])
def test_a_value_that_does_not_parse_is_ignored_with_a_message(key, value):
    cfg, problems = AppConfig.from_query({key: value})
    assert cfg == AppConfig()
    assert len(problems) == 1 and f"{key}={value!r}" in problems[0]


def test_an_empty_objective_in_a_url_keeps_the_other_values():
    cfg, problems = AppConfig.from_query({"lambda_ul": "0", "lambda_ce": "0", "seed": "3"})
    assert cfg.seed == 3 and cfg.hyper == AppConfig().hyper
    assert "objective is empty" in problems[0]


def test_the_experiment_carries_every_setting():
    cfg = AppConfig.defaults("digits", "sample", count=20, seed=5, frame_every=3, device="cpu")
    exp = cfg.experiment()
    assert (exp.forget.mode, exp.forget.count, exp.forget.seed, exp.device) == ("sample", 20, 5, "cpu")
    assert exp.unlearn_config().seed == 5 and exp.unlearn_config().probe_every == 3
    # What does not apply to the mode stays at its default, so it cannot split the model and map caches.
    assert AppConfig(forget_class=5, count=10).prep_key() == AppConfig(forget_class=5, count=99).prep_key()
    assert cfg.prep_key().unlearn is None


def test_validate_names_what_is_wrong():
    with pytest.raises(UserInputError, match="unknown dataset 'nope'"):
        replace(AppConfig(), dataset="nope").validate()
    with pytest.raises(UserInputError, match="lr must be a number > 0"):
        replace(AppConfig(), hyper=replace(AppConfig().hyper, lr=0.0)).validate()


def test_the_training_recipe_can_be_shortened_for_tests(monkeypatch):
    monkeypatch.delenv(TRAIN_EPOCHS_ENV, raising=False)
    assert train_recipe("digits") == default_train_config("digits")
    monkeypatch.setenv(TRAIN_EPOCHS_ENV, "3")
    assert train_recipe("digits").epochs == 3
    monkeypatch.setenv(TRAIN_EPOCHS_ENV, "three")
    with pytest.raises(UserInputError, match=TRAIN_EPOCHS_ENV):
        train_recipe("digits")


def test_chosen_indices_parse_from_a_comma_separated_list():
    assert parse_indices(" 3, 17,42 ,") == (3, 17, 42) and parse_indices("") == ()
    with pytest.raises(ValueError):
        parse_indices("3;4")
