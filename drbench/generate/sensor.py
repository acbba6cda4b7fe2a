"""Camera-sensor imperfections applied to the finished image: exposure, white balance,
vignetting, blur, chromatic aberration and read noise.

The render is a clean pinhole image; a real dash camera's is not. These effects
are drawn per image (from the ``sensor`` randomizer's generator, in the worker)
and applied by the writer thread in numpy, so they cost no render time and never
move a pixel's content: the labels stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GAMMA = 2.2  # sRGB is close enough to a 2.2 power for a gain applied in linear light


@dataclass(frozen=True)
class SensorEffects:
    """One image's draw; ``apply`` is a pure function of it and the image."""

    exposure_gain: float  # multiplies linear light
    white_balance: tuple[float, float, float]  # per-channel linear gains (R, G, B)
    vignetting: float  # linear light lost at the image corners (0 = none)
    blur_sigma: float  # Gaussian blur in pixels (0 = sharp)
    aberration_px: int  # red and blue channels shifted apart horizontally by this many pixels
    noise_sigma: float  # read noise, in 8-bit levels
    noise_seed: int

    def apply(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        linear = (image.astype(np.float32) / 255.0) ** GAMMA
        gain = np.float32(self.exposure_gain) * np.asarray(self.white_balance, np.float32)
        linear *= gain
        if self.vignetting > 0:
            y, x = np.ogrid[-1:1:complex(0, height), -1:1:complex(0, width)]
            linear *= (1.0 - self.vignetting * (x * x + y * y) / 2.0).astype(np.float32)[..., None]
        out = np.clip(linear, 0, 1) ** (1 / GAMMA) * 255.0
        if self.blur_sigma > 0:
            out = cv2.GaussianBlur(out, (0, 0), self.blur_sigma)
        if self.aberration_px:
            shift = self.aberration_px
            out[..., 0] = np.roll(out[..., 0], shift, axis=1)
            out[..., 2] = np.roll(out[..., 2], -shift, axis=1)
        if self.noise_sigma > 0:
            out += np.random.default_rng(self.noise_seed).normal(0, self.noise_sigma, out.shape).astype(np.float32)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def check_effect_output(result, shape: tuple) -> str | None:
    """What is wrong with an image effect's result (must be uint8 of the input's shape), or None."""
    if getattr(result, "shape", None) != shape or getattr(result, "dtype", None) != np.uint8:
        return (f"an image effect returned {getattr(result, 'dtype', type(result).__name__)} "
                f"{getattr(result, 'shape', '')}, expected uint8 {shape}")
    return None
