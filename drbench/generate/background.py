"""Procedural background images and compositing of the transparent render over them.

Done in numpy, not in Blender, so the background is a pure function of the
image's seed (no image files to ship, no renderer state) and compositing costs
a few milliseconds.
"""

from __future__ import annotations

from pathlib import Path

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


_LUT_SIZE = 1 << 16
_TO_SRGB8: np.ndarray | None = None  # linear (16-bit quantised) -> sRGB uint8
_TO_LINEAR: np.ndarray | None = None  # sRGB (16-bit quantised) -> linear float32


def _luts() -> tuple[np.ndarray, np.ndarray]:
    global _TO_SRGB8, _TO_LINEAR
    if _TO_SRGB8 is None:
        x = np.arange(_LUT_SIZE, dtype=np.float64) / (_LUT_SIZE - 1)
        _TO_SRGB8 = np.round(linear_to_srgb(x) * 255).astype(np.uint8)
        _TO_LINEAR = srgb_to_linear(x).astype(np.float32)
    return _TO_SRGB8, _TO_LINEAR


def _quantise(x: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> LUT indices (values outside are clipped)."""
    scaled = np.clip(x, 0.0, 1.0, dtype=np.float32) * np.float32(_LUT_SIZE - 1) + np.float32(0.5)
    return scaled.astype(np.uint16)


def composite(rgba: np.ndarray, background: np.ndarray | None) -> np.ndarray:
    """Premultiplied linear RGBA over an sRGB background (None = grey) → H×W×3 uint8 sRGB.

    Both colour conversions go through 65536-entry tables (the transfer curves sampled
    at 16 bits: the result differs from the exact curve by at most one 8-bit level,
    at a tenth of the cost).
    """
    to_srgb8, to_linear = _luts()
    alpha = np.clip(rgba[..., 3:4], 0, 1).astype(np.float32)
    if background is None:
        background_linear = np.float32(srgb_to_linear(np.float64(GREY)))
    else:
        background_linear = to_linear[_quantise(background)]
    linear = rgba[..., :3].astype(np.float32) + (np.float32(1) - alpha) * background_linear
    return to_srgb8[_quantise(linear)]


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_FILES: dict[str, list[str]] = {}
_DECODED: dict[str, np.ndarray] = {}
MAX_DECODED = 32


def image_files(folder: str) -> list[str]:
    """Image files under ``folder`` (recursive, sorted: the same list on every machine)."""
    if folder not in _FILES:
        root = Path(folder)
        if not root.is_dir():
            raise FileNotFoundError(f"image folder {folder} does not exist")
        files = sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {folder}")
        _FILES[folder] = files
    return _FILES[folder]


def _decoded(path: str) -> np.ndarray:
    image = _DECODED.get(path)
    if image is None:
        raw = cv2.imread(path, cv2.IMREAD_COLOR)
        if raw is None:
            raise OSError(f"cannot read background image {path}")
        image = raw[..., ::-1].astype(np.float32) / 255.0
        if len(_DECODED) >= MAX_DECODED:
            _DECODED.pop(next(iter(_DECODED)))
        _DECODED[path] = image
    return image


def from_image(path: str, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A random crop (40–100 % of the largest crop of the output's aspect), maybe mirrored, resized to H×W."""
    image = _decoded(path)
    h, w = image.shape[:2]
    aspect = width / height
    crop_h = min(h, w / aspect) * rng.uniform(0.4, 1.0)
    crop_w = crop_h * aspect
    y = int(rng.uniform(0, h - crop_h + 1e-9))
    x = int(rng.uniform(0, w - crop_w + 1e-9))
    crop = image[y:y + max(1, int(crop_h)), x:x + max(1, int(crop_w))]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.clip(cv2.resize(np.ascontiguousarray(crop), (width, height), interpolation=cv2.INTER_AREA), 0, 1)
