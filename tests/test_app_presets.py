"""Each preset still tells the story its one line promises, on digits with the default recipe, the one the
numbers in assets/presets.json were measured with (10 epochs: about 3 s a model; cut to the tests' 6 epochs the
one-cycle original is another model, and its stories differ: the samples preset then ends at 93% test
accuracy after 15 steps)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app_testing import TINY_EPOCHS
from app_ui.app_config import AppConfig
from app_ui.preset_cost import first_visit, preset_cost_text
from app_ui.presets import load_presets, matching_preset, preset_by_id
from unlearn_core import prepare, unlearn
from unlearn_core.projection import MapProjection, MapSettings


def stay_in_cluster(first, final, labels, is_forget, k: int = 10) -> tuple[float, float]:
    """(remaining, forget): the mean share of a probe sample's k nearest ORIGINAL embeddings that have its
    own label, once the final frame is aligned as the map aligns it; near 1 = it is still in its class's
    cluster on the map, near 0 = it has left it."""
    reference = first.probe.embeddings
    proj = MapProjection(reference, np.zeros((len(reference), 2), np.float32), ~is_forget, MapSettings())
    nearest = np.argsort(-(proj.align(final.probe.embeddings) @ reference.T), axis=1)[:, :k]
    same = (labels[nearest] == labels[:, None]).mean(axis=1)
    return float(same[~is_forget].mean()), float(same[is_forget].mean())


@pytest.fixture(scope="module")
def outcomes():
    """preset id -> (final Step, stay_in_cluster) of its run, with the engine's generator as the page runs it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("UNLEARN_TRAIN_EPOCHS", raising=False)
        found = {}
        for preset in load_presets():
            if dict(preset.settings)["dataset"] != "digits":   # the others need downloads and hours of training
                continue
            exp = preset.apply(AppConfig(device="cpu")).experiment()
            cfg = replace(exp.unlearn_config(), probe_every=10_000)     # probe frames at the start and the end
            prep = prepare(exp)
            first, *_, final = unlearn(prep.fresh_model(), prep.data, prep.split, cfg, device=prep.device)
            labels = prep.data.train_y.numpy()[prep.split.probe]
            found[preset.id] = (final, stay_in_cluster(first, final, labels, prep.split.probe_is_forget))
        return found


def test_forget_one_digit_terminates_and_keeps_the_other_digits(outcomes):
    final, (remaining, forget) = outcomes["forget-digit"]
    assert final.terminated
    assert final.metrics["forget_test_acc"] <= 0.1 and final.metrics["remain_test_acc"] >= 0.95
    # the fives left their cluster, the rest stayed (measured, seed 0: 0.89 and 0.00; without the CE term the rest
    # falls to about 0.5, with lr 0.1 to about 0.2, see below)
    assert remaining > 0.85 and forget < 0.2


def test_forgetting_random_samples_stops_within_a_round_without_hurting_the_test_accuracy(outcomes):
    final, (remaining, forget) = outcomes["forget-samples"]
    assert final.terminated and final.round <= 1
    assert final.metrics["test_acc"] >= 0.95
    assert remaining > 0.9 and forget > 0.9            # the map barely moves


def test_without_the_ce_term_the_rest_drifts_and_utility_collapses(outcomes):
    (final, (remaining, _)), (with_ce, (remaining_with_ce, _)) = outcomes["no-ce"], outcomes["forget-digit"]
    assert remaining < 0.8 < remaining_with_ce         # the remaining clusters drift apart on the map
    assert final.metrics["remain_test_acc"] < 0.5 < with_ce.metrics["remain_test_acc"]


def test_a_learning_rate_too_high_terminates_fast_but_destroys_utility(outcomes):
    (final, _), (careful, _) = outcomes["lr-too-high"], outcomes["forget-digit"]
    assert final.terminated and final.step < careful.step
    assert final.metrics["remain_test_acc"] < 0.5


def test_a_preset_is_recognised_until_a_setting_changes():
    preset = preset_by_id("no-ce")
    cfg = preset.apply(AppConfig())
    assert matching_preset(cfg) is preset and cfg.hyper.lambda_ce == 0.0
    assert matching_preset(cfg.updated({"seed": 5})) is None


def test_the_papers_setting_is_cifar10_resnet18_class_5_with_the_papers_hyperparameters():
    cfg = preset_by_id("paper-cifar10").apply(AppConfig())
    exp = cfg.experiment()
    assert (exp.data.dataset, exp.model.name, exp.forget.mode, exp.forget.forget_class) == ("cifar10", "resnet18",
                                                                                           "class", 5)
    assert cfg.paper_defaults and matching_preset(cfg).id == "paper-cifar10"
    assert preset_by_id("fashion-mnist-class").apply(AppConfig()).data.dataset == "fashion-mnist"


def test_each_preset_says_its_first_visit_cost_before_it_is_opened():
    # FLOPs at one stated rate: the ordering and the shares hold on any machine, however fast.
    visits = {p.id: first_visit(p.apply(AppConfig(device="cpu")).experiment(), 1e10) for p in load_presets()}
    paper, fashion, digit = visits["paper-cifar10"], visits["fashion-mnist-class"], visits["forget-digit"]
    assert paper.seconds > fashion.seconds > digit.seconds > 0
    assert paper.retrain_flops / paper.original_flops == pytest.approx(0.9)       # CIFAR-10 without one class of ten
    text = paper.describe()
    assert text.startswith("First visit on this device: about ") and "resnet18 on cifar10" in text
    assert "the retrain reference" in text and "FLOP/s measured here" in text


def test_the_home_page_shows_the_cost_beside_each_story_without_timing_training_as_it_renders(monkeypatch):
    from app_testing import open_page

    from app_ui import background_estimates, cost_estimate, home_page, preset_cost

    timed = []
    monkeypatch.setattr(cost_estimate, "_measured_flop_rate", lambda *key: timed.append(key) or 1e10)
    estimates = background_estimates.BackgroundEstimates()
    estimates.pause()                                   # the background work waits: the render never does
    for module in (home_page, preset_cost):
        monkeypatch.setattr(module, "ESTIMATES", estimates)
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
    at = open_page()
    assert not at.exception and not timed and estimates.pending
    assert {"open_paper-cifar10", "open_fashion-mnist-class"} <= {b.key for b in at.button}
    costs = [c.value for c in at.caption if c.value.startswith("First visit")]
    assert costs == [preset_cost.ESTIMATING] * len(load_presets())
    estimates.resume()                                  # computed in the background; the page then shows them
    assert estimates.wait_until_done(timeout=120) and timed
    costs = [c.value for c in at.run().caption if c.value.startswith("First visit on this device: about")]
    assert len(costs) == len(load_presets()) and any("resnet18 on cifar10" in c for c in costs)
