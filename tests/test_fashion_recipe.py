"""Fashion-MNIST's CPU recipe and the small CNN's layout on 28x28 images (figures: bench/fashion_recipe.py).

No full training here: the recipe's few steps run on a few hundred real images when the system's files are
installed (tests/test_idx_files.py has the loader)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app_ui.cost_estimate import noise_images
from unlearn_core import DataConfig, ModelConfig, default_train_config
from unlearn_core.data import image_data_from_arrays, load_dataset
from unlearn_core.flops import training_flops
from unlearn_core.idx_files import SYSTEM_ENV
from unlearn_core.models import build_model
from unlearn_core.training import train_classifier

from test_idx_files import SYSTEM, needs_package


def test_the_cpu_recipe_is_short_one_cycle_training():
    recipe = default_train_config("fashion-mnist", "cpu")
    assert (recipe.epochs, recipe.batch_size, recipe.schedule, recipe.nesterov) == (2, 128, "onecycle", True)
    assert recipe.label_smoothing == pytest.approx(0.1) and recipe.lr == pytest.approx(0.1)


def test_the_small_cnn_pools_early_on_28x28_and_keeps_its_digits_layout():
    digits = build_model(ModelConfig(), noise_images((1, 8, 8), 2))
    fashion = build_model(ModelConfig(), noise_images((1, 28, 28), 2))
    # digits' cached models keep loading: the same parameter names and shapes as before
    assert [k for k in digits.state_dict() if k.startswith("encoder.")][:4] == ["encoder.0.weight", "encoder.0.bias",
                                                                               "encoder.1.weight", "encoder.1.bias"]
    assert "encoder.3.weight" in digits.state_dict()                 # the second conv right after the first block
    assert "encoder.4.weight" in fashion.state_dict() and "encoder.3.weight" not in fashion.state_dict()
    # the 32->64 convolution at 14x14: well under half the FLOPs of the old layout's 28x28
    flops = training_flops(fashion, noise_images((1, 28, 28), 2), torch.device("cpu"), samples=1)
    assert flops < 5e7
    logits, z = fashion(torch.rand(3, 1, 28, 28))
    assert logits.shape == (3, 10) and z.shape == (3, 128)


@needs_package
def test_the_recipe_trains_on_the_real_images(monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(SYSTEM))
    data = load_dataset(DataConfig(dataset="fashion-mnist"))
    few = image_data_from_arrays("fashion-mnist", data.train_x[:512], data.train_y[:512], data.test_x[:256],
                                 data.test_y[:256], data.class_names)
    torch.manual_seed(0)
    model = build_model(ModelConfig(), few)
    recipe = default_train_config("fashion-mnist", "cpu", epochs=3)
    model = train_classifier(model, few, np.arange(512), recipe, torch.device("cpu"), progress=lambda *a: None)
    with torch.no_grad():
        acc = (model(few.test_x.float() / 255)[0].argmax(1) == few.test_y).float().mean().item()
    assert acc > 0.5          # 12 steps on 512 images: well above the 10% of a guess
