"""Procedural background images and compositing of the transparent render over them.

Done in numpy, not in Blender, so the background is a pure function of the
image's seed (no image files to ship, no renderer state) and compositing costs
a few milliseconds.
"""

from __future__ import annotations

import cv2
import numpy as np

GREY = 0.5


def _color(rng: np.random.Generator) -> np.ndarray:
    return rng.random(3).astype(np.float32)


def _gradient(rng, height, width) -> np.ndarray:
    top, bottom = _color(rng), _color(rng)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    if rng.random() < 0.3:  # diagonal or horizontal instead of the sky-like vertical one
        t = (t + np.linspace(0, rng.uniform(-1, 1), width, dtype=np.float32)[None, :, None]) % 1.0
    return np.broadcast_to(top * (1 - t) + bottom * t, (height, width, 3)).copy()


def _noise(rng, height, width) -> np.ndarray:
    """Smooth colour noise: random values on a coarse grid, upsampled bicubically."""
    cell = int(rng.integers(4, 64))
    coarse = rng.random((max(2, height // cell), max(2, width // cell), 3)).astype(np.float32)
    return np.clip(cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)


def _blocks(rng, height, width, base: np.ndarray) -> np.ndarray:
    """Random coloured rectangles, façade- and sign-like."""
    image = base.copy()
    for _ in range(int(rng.integers(3, 40))):
        w, h = (rng.uniform(0.02, 0.4, 2) * (width, height * 2)).astype(int) + 1
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        image[y:y + h, x:x + w] = _color(rng)
    return image


def procedural(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A random H×W×3 sRGB image in [0, 1]: a gradient, optionally mixed with noise and blocks."""
    image = _gradient(rng, height, width)
    if rng.random() < 0.6:
        image = image * (1 - (mix := rng.uniform(0.2, 0.9))) + _noise(rng, height, width) * mix
    if rng.random() < 0.5:
        image = _blocks(rng, height, width, image)
    return np.clip(image, 0, 1).astype(np.float32)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055)


def composite(rgba: np.ndarray, background: np.ndarray | None) -> np.ndarray:
    """Premultiplied linear RGBA over an sRGB background (None = grey) → H×W×3 uint8 sRGB."""
    if background is None:
        background = np.full(rgba.shape[:2] + (3,), GREY, np.float32)
    alpha = np.clip(rgba[..., 3:4], 0, 1)
    linear = rgba[..., :3] + (1 - alpha) * srgb_to_linear(background)
    return np.round(linear_to_srgb(linear) * 255).astype(np.uint8)
