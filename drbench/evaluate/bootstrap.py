"""95% intervals for AP by resampling test images with replacement.

With ~50 test images an AP moves by several points between equally good
detectors, so every score is reported with the spread of that sampling noise.
The random generator is always passed in, so intervals reproduce exactly.
Each frame's devkit counts are tabulated once per level and IoU
(:func:`~drbench.evaluate.devkit.frame_table`), so a resample costs lookups, not
a new matching pass.
"""

from __future__ import annotations

import numpy as np

from drbench.data.levels import LEVELS, Level
from drbench.evaluate.devkit import IOU_THRESHOLDS, Frames, frame_table, resample_ap

LOOKUPS_PER_PASS = 100_000  # resampled frames per pass, bounding [resamples, frames, 41] arrays


def resample_indices(n_frames: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``[n_resamples, n_frames]`` frame indices drawn with replacement."""
    if n_frames < 1 or n_resamples < 1:
        raise ValueError(f"need at least one frame and one resample, got {n_frames} and {n_resamples}")
    return rng.integers(0, n_frames, size=(n_resamples, n_frames))


def percentile_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Central percentile interval of the bootstrap distribution."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(np.asarray(values, dtype=float), [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_samples(
    frames: Frames,
    rng: np.random.Generator,
    n_resamples: int = 200,
    min_overlaps: tuple[float, ...] = IOU_THRESHOLDS,
    levels: tuple[Level, ...] = LEVELS,
    lookups_per_pass: int = LOOKUPS_PER_PASS,
) -> dict[float, dict[str, dict[str, np.ndarray]]]:
    """AP of every resample: ``{iou: {level: {"ap11": [B], "ap40": [B]}}}``."""
    indices = resample_indices(frames.n_frames, n_resamples, rng)
    per_pass = max(1, lookups_per_pass // frames.n_frames)
    chunks = np.array_split(indices, range(per_pass, n_resamples, per_pass))
    samples: dict = {}
    for iou in min_overlaps:
        for level in levels:
            table = frame_table(frames, level, iou)
            ap11, ap40 = zip(*(resample_ap(table, chunk) for chunk in chunks))
            samples.setdefault(iou, {})[level.name] = {"ap11": np.concatenate(ap11),
                                                       "ap40": np.concatenate(ap40)}
    return samples


def bootstrap_ap(
    frames: Frames,
    rng: np.random.Generator,
    n_resamples: int = 200,
    min_overlaps: tuple[float, ...] = IOU_THRESHOLDS,
    levels: tuple[Level, ...] = LEVELS,
    confidence: float = 0.95,
) -> dict[float, dict[str, dict[str, tuple[float, float]]]]:
    """``{iou: {level: {"ap11": (low, high), "ap40": (low, high)}}}`` over image resamples."""
    samples = bootstrap_samples(frames, rng, n_resamples, min_overlaps, levels)
    return {iou: {name: {key: percentile_interval(values, confidence) for key, values in aps.items()}
                  for name, aps in by_level.items()}
            for iou, by_level in samples.items()}
