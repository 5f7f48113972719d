"""The baselines: each runs through the shared runner on digits and yields well-formed Steps; those that
should forget do; their pieces match oracles written straight from their papers' definitions."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unlearn_core import METHODS, UserInputError, unlearn
from unlearn_core.baselines import (MODULES, WHOLE_BUDGET, boundary_shrink, fisher, method_unlearn_config, retrain,
                                    unsir)
from unlearn_core.baselines.common import kl_to_teacher, random_other_labels
from unlearn_core.baselines.random_labels import relabelled_updates
from unlearn_core.baselines.salun import saliency_mask
from unlearn_core.batches import take
from unlearn_core.configs import UnlearnConfig, default_train_config
from unlearn_core.metrics import METRIC_KEYS, accuracy, infer
from unlearn_core.steps import Outcome

from conftest import TINY_TRAIN

# Methods whose job is to remove the forget data within their digits defaults. Finetune is the
# exception by design: CE on D^r alone leaves class 5 recognised after 10 epochs (docs/COMPARE.md).
SHOULD_FORGET = sorted(set(MODULES) - {"finetune"})


# The methods' digits defaults, cut to a test budget (at most ~30 optimiser steps each).
TEST_BUDGETS = {
    "retrain": {**retrain.recipe_overrides(TINY_TRAIN), "max_rounds": 1},   # one epoch of the short recipe
    "scrub": {"max_rounds": 1},                 # one max pass over D^u, one min pass over D^r
    "unsir": {"batch_size": 128},               # impair + repair in 27 steps
    "finetune": {"max_steps": 8},               # only its form is checked (it does not forget on digits)
}


def tiny_config(prep, method: str) -> UnlearnConfig:
    cfg = method_unlearn_config(method, "digits", prep.split.mode, seed=0)
    return replace(cfg, **TEST_BUDGETS.get(method, {}))


@pytest.fixture
def small_fisher(monkeypatch):
    monkeypatch.setattr(fisher, "FISHER_SAMPLES", 96)       # the Fisher over 96 samples: seconds, not minutes


def test_every_baseline_is_registered():
    assert set(MODULES) <= set(METHODS)
    for name, module in MODULES.items():
        assert module.__doc__ and ":" in module.__doc__.split("\n")[0], name   # "Title: what it does."
        assert set(module.USES) <= set(UnlearnConfig.__dataclass_fields__), name
        method_unlearn_config(name, "digits", "class").validate()
        method_unlearn_config(name, "cifar10", "sample", paper=True).validate()


@pytest.mark.parametrize("method", sorted(MODULES))
def test_method_yields_well_formed_steps_and_forgets(class_prep, method, small_fisher):
    prep = class_prep
    original_forget = accuracy(infer(prep.original.model, prep.data, "train", prep.split.forget_train, prep.device))
    model = prep.fresh_model()
    steps = list(unlearn(model, prep.data, prep.split, tiny_config(prep, method), method=method, device=prep.device))

    assert [s.step for s in steps if s.eval is not None][0] == 0 and steps[0].eval is not None
    numbers = [s.step for s in steps]
    # One Step per optimiser step, the closing one last and only once.
    assert numbers == list(range(len(numbers)))
    assert all(s.stop is False for s in steps[:-1]) and steps[-1].stop and steps[-1].stop_reason
    assert all(np.isfinite(v) for s in steps[1:] for v in s.losses.values()) and steps[-1].step >= 1
    assert all(s.seconds >= 0 for s in steps) and steps[-1].seconds >= steps[1].seconds
    assert set(steps[-1].metrics) == set(METRIC_KEYS)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    if method in WHOLE_BUDGET:
        assert steps[-1].outcome is Outcome.WHOLE_BUDGET, steps[-1].stop_reason
    if method in SHOULD_FORGET:
        assert steps[-1].metrics["forget_train_acc"] < original_forget - 0.5, (method, steps[-1].metrics)


def test_whole_budget_method_keeps_going_after_the_test_fires(class_prep):
    """Retrain passes the class test within a few steps (a fresh model never saw class 5) but must run on."""
    cfg = replace(tiny_config(class_prep, "retrain"), eval_every=2)
    steps = [s for s in unlearn(class_prep.fresh_model(), class_prep.data, class_prep.split, cfg, method="retrain",
                                device=class_prep.device) if s.termination is not None]
    fired_early = [s for s in steps[:-1] if s.termination.fired]
    assert fired_early and not any(s.stop for s in fired_early)
    assert steps[-1].step == -(-len(class_prep.split.remain_train) // cfg.batch_size)    # one whole epoch


def test_retrain_method_reproduces_the_cached_retrain_reference(class_prep):
    """Same recipe, same seed, same batch order as training.get_retrain: bit-for-bit the same weights."""
    cfg = method_unlearn_config("retrain", "digits", "class", seed=TINY_TRAIN.seed,
                                **{**retrain.recipe_overrides(TINY_TRAIN), "eval_every": 10_000})
    model = class_prep.fresh_model()
    for _ in unlearn(model, class_prep.data, class_prep.split, cfg, method="retrain", device=class_prep.device,
                     final_metrics=False):
        pass
    reference = class_prep.retrain().model.state_dict()
    for name, value in model.state_dict().items():
        assert torch.equal(value, reference[name]), name


def test_method_defaults_layer_paper_dataset_and_overrides():
    assert method_unlearn_config("neggrad", "digits", "class", paper=True).lr == 1e-4         # SalUn's GA
    assert method_unlearn_config("scrub", "cifar10", "class").batch_size == 32               # no adaptation
    assert method_unlearn_config("neggrad", "digits", "class", lr=0.5).lr == 0.5
    assert method_unlearn_config("contrastive", "digits", "class").lambda_ce == 3.0          # its own defaults
    with pytest.raises(UserInputError, match="unknown method 'nope'"):
        method_unlearn_config("nope", "digits", "class")


def test_retrain_method_takes_the_experiments_recipe():
    """The retrain method is the reference run again: with a longer recipe (--train-epochs) or the GPU's,
    its budget, learning rate and batch are that recipe's, --paper-defaults or not; other methods ignore it."""
    longer = default_train_config("fashion-mnist", "cpu", epochs=10)
    for paper in (False, True):
        cfg = method_unlearn_config("retrain", "fashion-mnist", "sample", paper=paper, recipe=longer)
        assert (cfg.max_rounds, cfg.lr, cfg.batch_size) == (10, longer.lr, longer.batch_size)
    gpu = default_train_config("cifar10", "cuda")
    assert method_unlearn_config("retrain", "cifar10", "class", recipe=gpu).batch_size == gpu.batch_size
    assert method_unlearn_config("retrain", "fashion-mnist", "sample", recipe=longer, max_rounds=1).max_rounds == 1
    assert method_unlearn_config("neggrad", "fashion-mnist", "sample", recipe=longer) == method_unlearn_config(
        "neggrad", "fashion-mnist", "sample")


def test_diagonal_fisher_matches_a_per_sample_loop(class_prep):
    """The expected Fisher, sum_y p(y|x) (d log p(y|x))^2, against plain autograd, one sample and class at a time."""
    model, idx = class_prep.fresh_model().eval(), class_prep.split.remain_train[:5]
    fast = fisher.diagonal_fisher(model, class_prep.data, idx, class_prep.device)
    slow = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for i in idx:
        x, _ = take(class_prep.data.train_x, class_prep.data.train_y, np.array([i]), class_prep.device)
        log_p = F.log_softmax(model(x)[0], dim=1)[0]
        for c in range(class_prep.data.num_classes):
            grads = torch.autograd.grad(log_p[c], list(model.parameters()), retain_graph=True)
            for (name, _), g in zip(model.named_parameters(), grads):
                slow[name] += log_p[c].exp().detach() * g.pow(2) / len(idx)
    for name in slow:
        torch.testing.assert_close(fast[name], slow[name], rtol=1e-4, atol=1e-9)


def test_salun_mask_selects_half_the_weights_and_freezes_the_rest(class_prep):
    model = class_prep.fresh_model()
    mask = saliency_mask(model, class_prep.data, class_prep.split, 64, class_prep.device)
    share = sum(m.sum().item() for m in mask.values()) / sum(m.numel() for m in mask.values())
    assert 0.49 <= share <= 0.51
    # With a mask of zeros, an SGD step moves each weight only by the decay term: p * (1 - lr * wd).
    zeros = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    cfg = UnlearnConfig(lr=0.1, batch_size=64, max_rounds=1)
    next(relabelled_updates(model, class_prep.data, class_prep.split, cfg, class_prep.device,
                            np.random.default_rng(0), grad_mask=zeros))
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.detach(), before[name] * (1 - 0.1 * 5e-4))


def test_random_other_labels_never_keep_the_true_label():
    labels = torch.arange(10).repeat(100)
    new = random_other_labels(labels, 10, torch.Generator().manual_seed(0))
    assert not (new == labels).any() and set(new.tolist()) == set(range(10))


def test_boundary_shrink_labels_are_wrong_classes(class_prep):
    x, y = take(class_prep.data.train_x, class_prep.data.train_y, class_prep.split.forget_train[:32], class_prep.device)
    target = boundary_shrink.nearest_wrong_labels(class_prep.original.model, x, y)
    assert not (target == y).any()


def test_kl_to_teacher_is_hintons_distillation_loss():
    teacher, student = torch.randn(8, 10), torch.randn(8, 10)
    p_t, p_s = F.softmax(teacher / 4, dim=1), F.softmax(student / 4, dim=1)
    expected = (p_t * (p_t.log() - p_s.log())).sum(dim=1).mean() * 16
    torch.testing.assert_close(kl_to_teacher(student, teacher, 4.0), expected)
    assert kl_to_teacher(teacher, teacher, 4.0).abs() < 1e-6


def test_unsir_noise_maximises_the_error_on_its_class(class_prep):
    model, gen = class_prep.fresh_model(), torch.Generator().manual_seed(0)
    noise = unsir.error_maximising_noise(model, class_prep.data.image_shape, 5, class_prep.device, gen)
    plain = torch.randn(noise.shape, generator=gen)
    target = torch.full((len(noise),), 5)
    with torch.no_grad():
        ce_noise = F.cross_entropy(model.eval()(noise)[0], target)
        ce_plain = F.cross_entropy(model(plain)[0], target)
    assert ce_noise > ce_plain
