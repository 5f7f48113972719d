"""Small PNG data URIs of dataset images, shown when the pointer is over a point of the map.

    uris = png_data_uris(data.train_x, split.probe)     # one "data:image/png;base64,..." per probe point

An 8x8 digit is ~100 bytes of PNG, so the 1,000 probe images of the default map cost ~130 kB, sent
once per page load (not per frame); the browser enlarges them without smoothing (CSS pixelated).
"""
from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image

MAX_SIDE = 64    # larger images (mini-imagenet's 84x84) are shrunk: the tooltip is small anyway


def png_data_uri(image: np.ndarray) -> str:
    """uint8 [C, H, W] (C = 1 or 3) -> a PNG data URI."""
    channels = image.shape[0]
    pixels = image[0] if channels == 1 else np.transpose(image, (1, 2, 0))
    img = Image.fromarray(np.ascontiguousarray(pixels))      # 2-D: greyscale ("L"); H x W x 3: RGB
    if max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_data_uris(images: torch.Tensor, indices: np.ndarray) -> list[str]:
    """One data URI per index into `images` (uint8 [N, C, H, W])."""
    picked = images[torch.as_tensor(np.asarray(indices), dtype=torch.long)].numpy()
    return [png_data_uri(img) for img in picked]
