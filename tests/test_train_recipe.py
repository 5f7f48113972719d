"""The training recipes of the original and retrain models: the CPU's, the GPU's fast one (one-cycle,
Nesterov, label smoothing, large batches), and that adding them kept older cache files valid.

The fast recipe's GPU figures (ResNet-18 on CIFAR-10) are bench/gpu_cifar.py's; here its parts are
checked on a CPU with the small CNN on digits."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from unlearn_core import DataConfig, Experiment, ModelConfig, TrainConfig, UserInputError, default_train_config
from unlearn_core.configs import DATASET_TRAIN_DEFAULTS, GPU_TRAIN_DEFAULTS
from unlearn_core.data import load_dataset
from unlearn_core.models import build_model
from unlearn_core.training import _schedule, cache_record, train_classifier, train_steps


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


def test_a_gpu_trains_cifar10_with_the_fast_recipe_and_a_cpu_keeps_the_one_that_finishes():
    fast = default_train_config("cifar10", "cuda")
    assert (fast.schedule, fast.nesterov, fast.batch_size) == ("onecycle", True, 512)
    assert 0 < fast.label_smoothing <= 0.2 and fast.epochs <= 30
    slow = default_train_config("cifar10", "cpu")
    assert (slow.schedule, slow.label_smoothing, slow.nesterov) == ("cosine", 0.0, False)
    assert slow.epochs == DATASET_TRAIN_DEFAULTS["cifar10"]["epochs"]
    # digits has no GPU recipe: its small CNN trains in seconds anywhere
    assert "digits" not in GPU_TRAIN_DEFAULTS
    assert default_train_config("digits", "cuda") == default_train_config("digits", "cpu")
    assert default_train_config("cifar10", "cuda", epochs=2).epochs == 2          # overrides win
    assert Experiment(data=DataConfig(dataset="cifar10"), device="cpu").train_config() == slow


def test_a_recipe_setting_out_of_its_range_is_refused_in_one_line():
    with pytest.raises(UserInputError, match="unknown schedule 'linear'; valid: cosine, onecycle"):
        TrainConfig(schedule="linear").validate()
    with pytest.raises(UserInputError, match="label-smoothing must be a number >= 0 and <= 0.5"):
        TrainConfig(label_smoothing=0.9).validate()


def learning_rates(cfg: TrainConfig, steps: int) -> list[float]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=cfg.lr, momentum=cfg.momentum)
    sched = _schedule(opt, cfg, steps)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def test_one_cycle_warms_up_to_the_peak_in_the_first_quarter_then_anneals_to_almost_zero():
    cfg = TrainConfig(lr=0.4, schedule="onecycle")
    rates = learning_rates(cfg, 100)
    assert rates[0] == pytest.approx(0.4 / 25)
    peak = int(np.argmax(rates))
    assert 20 <= peak <= 26 and rates[peak] == pytest.approx(0.4)
    assert all(a <= b for a, b in zip(rates[:peak], rates[1:peak + 1]))              # rises, then
    assert all(a >= b for a, b in zip(rates[peak:], rates[peak + 1:]))                # falls
    assert rates[-1] < 0.4 / 50
    for short in (1, 2, 3, 4, 5):                         # a tiny run still rises and falls
        assert all(0 < r <= 0.4 for r in learning_rates(cfg, short))
    cosine = learning_rates(TrainConfig(lr=0.4), 100)
    assert cosine[0] == pytest.approx(0.4) and cosine == sorted(cosine, reverse=True)


def test_one_cycle_keeps_the_configured_momentum():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.8, nesterov=True)
    _schedule(opt, TrainConfig(lr=0.1, momentum=0.8, schedule="onecycle"), 10)
    assert opt.param_groups[0]["momentum"] == 0.8


def test_label_smoothing_reaches_the_loss(digits):
    """The first step's loss (same seed, same batch, same initial weights) is cross-entropy against the
    smoothed targets."""
    def first_loss(smoothing):
        torch.manual_seed(0)
        model = build_model(ModelConfig(), digits)
        cfg = TrainConfig(epochs=1, batch_size=64, label_smoothing=smoothing)
        return float(next(train_steps(model, digits, np.arange(64), cfg, torch.device("cpu")))[1])

    plain, smoothed = first_loss(0.0), first_loss(0.2)
    torch.manual_seed(0)
    model = build_model(ModelConfig(), digits).train()       # batch-norm on batch statistics, as in training
    with torch.no_grad():
        logits, _ = model(digits.train_x[:64].float() / 255)
    y = digits.train_y[:64]
    assert plain == pytest.approx(float(torch.nn.functional.cross_entropy(logits, y)), rel=1e-4)
    assert smoothed == pytest.approx(float(torch.nn.functional.cross_entropy(logits, y, label_smoothing=0.2)),
                                     rel=1e-4)


def test_the_fast_recipe_trains_a_digits_classifier(digits):
    """One-cycle + Nesterov + label smoothing at a large learning rate learns (90%+ in 8 epochs), on the
    same code path a GPU runs."""
    torch.manual_seed(0)
    cfg = TrainConfig(epochs=8, batch_size=128, lr=0.2, schedule="onecycle", label_smoothing=0.1, nesterov=True)
    model = train_classifier(build_model(ModelConfig(), digits), digits, np.arange(len(digits.train_y)), cfg,
                             torch.device("cpu"), progress=lambda *a: None)
    with torch.no_grad():
        logits, _ = model(digits.test_x.float() / 255)
    assert float((logits.argmax(1) == digits.test_y).float().mean()) >= 0.9


def test_older_cache_files_are_still_found_under_the_default_recipe():
    """A file written before schedule, label smoothing and Nesterov existed was keyed by the six fields
    below; the default recipe's record is unchanged, a fast recipe's is not."""
    record = json.loads(cache_record("original", DataConfig(), ModelConfig(), TrainConfig(epochs=1, batch_size=256)))
    assert record["train"] == {"epochs": 1, "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4, "batch_size": 256,
                               "seed": 0}
    fast = json.loads(cache_record("original", DataConfig(), ModelConfig(),
                                   TrainConfig(epochs=1, batch_size=256, schedule="onecycle")))
    assert fast["train"]["schedule"] == "onecycle"


def test_the_digits_default_takes_a_third_of_the_old_recipes_steps_and_no_label_smoothing(digits):
    """Issue 22: the digits original trains in at most a third of the 30-epoch cosine recipe's steps
    (bench/train_recipe.py measures time and accuracy), without label smoothing, which caps the confidence on
    training images that sample-mode unlearning and its membership attack rely on."""
    old, new = TrainConfig(epochs=30, lr=0.05, batch_size=64), default_train_config("digits")
    per_epoch = lambda cfg: -(-len(digits.train_y) // cfg.batch_size)
    assert 3 * new.epochs * per_epoch(new) <= old.epochs * per_epoch(old)
    assert new.label_smoothing == 0.0


def test_an_original_cached_under_the_old_digits_recipe_is_never_read_for_the_new_one(digits, tmp_path, monkeypatch):
    from unlearn_core import training

    old, new = TrainConfig(epochs=30, lr=0.05, batch_size=64), default_train_config("digits")
    record = cache_record("original", DataConfig(), ModelConfig(), old)
    torch.manual_seed(0)
    training._save_atomic(tmp_path / f"{training.key_of(record)}.pt", training.key_of(record), record,
                          build_model(ModelConfig(), digits), 1.0)
    assert training.get_original(DataConfig(), ModelConfig(), old, data=digits, device="cpu",
                                 cache_dir=tmp_path).from_cache            # found under the recipe it was made with

    def trains(*args, **kwargs):
        raise RuntimeError("trains afresh")

    monkeypatch.setattr(training, "_train", trains)
    with pytest.raises(RuntimeError, match="trains afresh"):                # the new recipe's key: not that file
        training.get_original(DataConfig(), ModelConfig(), new, data=digits, device="cpu", cache_dir=tmp_path)
