"""Background false positives per image, A against B, with a paired bootstrap interval.

The error breakdown (``drbench.evaluate.errors``) gives each side's count of
background boxes (IoU < 0.1 with every car and van) scoring at least its own
best-F1 threshold, but the difference of two counts says nothing about whether
it is more than the luck of the frames. Here each prediction set is classified
once (:func:`drbench.evaluate.errors.classify`, the threshold from
:func:`drbench.evaluate.devkit.operating_point`, exactly as the breakdown's
``at_operating_point``), the result kept per frame, and only those per-frame
counts are resampled: the same frames for A and B, and a seed-aggregated entry's
seeds drawn with replacement, by the same draws from the same generator as the
AP comparison (:func:`drbench.evaluate.paired.paired_bootstrap`).
"""

from __future__ import annotations

import numpy as np

from drbench.data.kitti import KittiObject
from drbench.data.levels import LEVELS, Level
from drbench.evaluate.bootstrap import percentile_interval, resample_indices
from drbench.evaluate.devkit import (
    IOU_THRESHOLDS,
    evaluate_level,
    operating_point,
    pack,
)
from drbench.evaluate.errors import classify
from drbench.evaluate.paired import seed_mean, two_sided_p  # the AP comparison's own

KIND = "background"


def background_per_frame(ground_truth: list[list[KittiObject]], detections: list[list[KittiObject]],
                         level: Level, min_overlap: float) -> np.ndarray:
    """``[n_frames]`` background false positives scoring at least the set's best-F1 threshold
    (every one when no threshold was sampled), as the breakdown's ``at_operating_point``."""
    result = evaluate_level(pack(ground_truth, detections), level, min_overlap)
    k = operating_point(result)
    threshold = None if k is None else float(result.thresholds[k])
    found = classify(ground_truth, detections, level, min_overlap)
    return np.array([sum(kind == KIND and (threshold is None or det.score >= threshold)
                         for kind, det in zip(kinds, dets))
                     for kinds, dets in zip(found.kind, detections)], dtype=np.int64)


def verdict(cell: dict) -> str:
    """``fewer`` / ``more`` (A than B) when the interval of A − B excludes 0, else ``not distinguishable``."""
    low, high = cell["ci95"]
    return "fewer" if high < 0 else "more" if low > 0 else "not distinguishable"


def background_bootstrap(ground_truth: list[list[KittiObject]], sets_a: list[list[list[KittiObject]]],
                         sets_b: list[list[list[KittiObject]]], rng: np.random.Generator,
                         n_resamples: int = 1000, min_overlaps: tuple[float, ...] = IOU_THRESHOLDS,
                         levels: tuple[Level, ...] = LEVELS, confidence: float = 0.95) -> dict:
    """``{iou: {level: {"a", "b", "delta", "ci95", "p_value", "verdict"}}}`` (string keys): mean
    background false positives per image of A and of B (mean over seeds), A − B, its percentile
    interval and two-sided bootstrap p-value. ``sets_a`` / ``sets_b``: one detection list per seed,
    over ``ground_truth``'s frames in its order. With a fresh ``rng`` seeded as the AP comparison's,
    the frames and seeds drawn are the AP comparison's own."""
    if not sets_a or not sets_b:
        raise ValueError("each side needs at least one prediction set")
    n_frames = len(ground_truth)
    indices = resample_indices(n_frames, n_resamples, rng)  # the draws in paired_bootstrap's order
    draws_a = rng.integers(0, len(sets_a), size=(n_resamples, len(sets_a)))
    draws_b = rng.integers(0, len(sets_b), size=(n_resamples, len(sets_b)))
    report: dict = {}
    for iou in min_overlaps:
        for level in levels:
            counts = {side: np.array([background_per_frame(ground_truth, d, level, iou) for d in sets])
                      for side, sets in (("a", sets_a), ("b", sets_b))}  # [K, n_frames]
            mean_a, mean_b = counts["a"].mean(), counts["b"].mean()
            deltas = (seed_mean(counts["a"][:, indices].mean(axis=2), draws_a)
                      - seed_mean(counts["b"][:, indices].mean(axis=2), draws_b))
            cell = {"a": float(mean_a), "b": float(mean_b), "delta": float(mean_a - mean_b),
                    "ci95": list(percentile_interval(deltas, confidence)), "p_value": two_sided_p(deltas)}
            report.setdefault(str(iou), {})[level.name] = {**cell, "verdict": verdict(cell)}
    return report
