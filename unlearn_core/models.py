"""Model registry: every model maps images to (logits, z), z the L2-normalised embedding.

    model = build_model(ModelConfig("resnet18"), data)    # an EmbeddingClassifier
    logits, z = model(x)                                   # x: float [B, C, H, W] in [0, 1]

The embedding is the encoder's penultimate representation (pooled features for ResNets, the class
token for the ViT, the 128-d hidden layer for the small CNN), normalised; the classifier head reads
the same features unnormalised, so one forward pass serves both the contrastive loss and the
cross-entropy. Input normalisation lives inside the model (buffers), so cached weights carry it.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .configs import MODEL_NAMES, ModelConfig
from .data import ImageData
from .errors import UserInputError


class EmbeddingClassifier(nn.Module):
    def __init__(self, encoder: nn.Module, feature_dim: int, num_classes: int,
                 mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))
        self.encoder = encoder
        self.head = nn.Linear(feature_dim, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder((x - self.mean) / self.std)          # [B, feature_dim]
        return self.head(h), F.normalize(h.float(), dim=1)


EARLY_POOL_SIZE = 28        # from this image size on, the small CNN pools after its first block too


def _small_cnn(channels: int, size: int) -> tuple[nn.Module, int]:
    """Three conv blocks and a 128-d hidden layer: trains on digits in seconds on a CPU. On 28x28 images and
    larger it also pools after the first block, so the 32->64 convolution runs at 14x14, not 28x28: 2.7x less
    CPU time a training step on Fashion-MNIST (0.125 s against 0.33 s at batch 128, one thread), which brings
    its original and retrain models past 90% in about 2 minutes of one core each (bench/fashion_recipe.py).
    Its layers are numbered differently, so a model cached with the old layout is refused and trained again."""
    early = [nn.MaxPool2d(2)] if size >= EARLY_POOL_SIZE else []
    encoder = nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), *early,
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(4), nn.Flatten(),
        nn.Linear(64 * 16, 128), nn.ReLU(),
    )
    return encoder, 128


def _resnet(depth: int) -> Callable[[int, int], tuple[nn.Module, int]]:
    def build(channels: int, size: int) -> tuple[nn.Module, int]:
        from torchvision.models import resnet

        block, layers = {
            18: (resnet.BasicBlock, [2, 2, 2, 2]), 34: (resnet.BasicBlock, [3, 4, 6, 3]),
            50: (resnet.Bottleneck, [3, 4, 6, 3]), 101: (resnet.Bottleneck, [3, 4, 23, 3]),
        }[depth]
        net = resnet.ResNet(block, layers)
        # Small-image stem (CIFAR ResNets): 3x3 stride-1 first convolution, no max-pool.
        net.conv1 = nn.Conv2d(channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
        feature_dim = net.fc.in_features
        net.fc = nn.Identity()                      # the encoder ends at the pooled features
        return net, feature_dim

    return build


def _vit_small(channels: int, size: int) -> tuple[nn.Module, int]:
    """ViT-S (384 wide, 6 heads, 12 layers) with patches sized for small images."""
    from torchvision.models.vision_transformer import VisionTransformer

    patch = 4 if size % 4 == 0 else (2 if size % 2 == 0 else 1)
    vit = VisionTransformer(image_size=size, patch_size=patch, num_layers=12, num_heads=6,
                            hidden_dim=384, mlp_dim=1536, num_classes=1)
    if channels != 3:
        vit.conv_proj = nn.Conv2d(channels, 384, kernel_size=patch, stride=patch)
    vit.heads = nn.Identity()                       # the encoder ends at the class token
    return vit, 384


MODELS: dict[str, Callable[[int, int], tuple[nn.Module, int]]] = {
    "cnn": _small_cnn,
    "resnet18": _resnet(18),
    "resnet34": _resnet(34),
    "resnet50": _resnet(50),
    "resnet101": _resnet(101),
    "vit_small": _vit_small,
}
assert tuple(MODELS) == MODEL_NAMES, "configs.MODEL_NAMES names the registry's models, in order"


def build_model(cfg: ModelConfig, data: ImageData) -> EmbeddingClassifier:
    if cfg.name not in MODELS:
        raise UserInputError(f"unknown model {cfg.name!r}; valid: {', '.join(MODELS)}")
    channels, height, _ = data.image_shape
    encoder, dim = MODELS[cfg.name](channels, height)
    model = EmbeddingClassifier(encoder, dim, data.num_classes, data.mean, data.std)
    model.model_config = cfg     # lets the `retrain` baseline build a fresh one like it (copies keep it)
    return model


def prepare_for_device(model: nn.Module, device: torch.device) -> nn.Module:
    """Move to the device; on CUDA use channels-last memory, which the convolutions run fastest in."""
    model = model.to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model
