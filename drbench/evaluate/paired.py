"""Paired bootstrap: is model A better than model B on the same real frames?

Two entries' own intervals are each 35–40 AP wide on kitti-mini, because most
of the noise is *which frames* happen to be in the test set, and that noise is
shared: a frame that is hard for A is mostly hard for B too. Resampling the
same frames for both and looking at the difference cancels the shared part, so
the interval of ``AP(A) - AP(B)`` is far narrower than either AP's interval.

A model trained with several seeds is a set of prediction sets on the same
frames; its score is the mean AP over seeds, and a replicate resamples the
seeds too (with replacement, independently for A and B), so seed spread enters
the interval as well. The random generator is always passed in.
"""

from __future__ import annotations

import numpy as np

from drbench.data.levels import LEVELS, Level
from drbench.evaluate.bootstrap import percentile_interval, resample_indices
from drbench.evaluate.devkit import IOU_THRESHOLDS, Frames, evaluate_level, frame_table, resample_ap

METRICS = ("ap11", "ap40")


def seed_mean(per_seed: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """``per_seed`` [K, B] a statistic of each seed in each replicate; ``draws`` [B, K] seeds drawn."""
    return per_seed[draws.T, np.arange(per_seed.shape[1])].mean(axis=0)


def two_sided_p(deltas: np.ndarray) -> float:
    """The bootstrap p-value of "no difference": twice the smaller share of replicates on one side of 0."""
    return float(min(1.0, 2 * min(np.mean(deltas <= 0), np.mean(deltas >= 0))))


def paired_bootstrap(
    runs_a: list[Frames],
    runs_b: list[Frames],
    rng: np.random.Generator,
    n_resamples: int = 1000,
    min_overlaps: tuple[float, ...] = IOU_THRESHOLDS,
    levels: tuple[Level, ...] = LEVELS,
    confidence: float = 0.95,
) -> dict[float, dict[str, dict[str, dict]]]:
    """``{iou: {level: {metric: {"a", "b", "delta", "ci95", "p_value"}}}}``, AP in points.

    ``runs_a`` / ``runs_b``: one packed prediction set per seed, all over the same
    frames in the same order (the same ground truth). ``delta`` is the mean AP of A
    minus that of B on all frames; ``ci95`` its percentile interval over replicates
    that resample frames (shared by A and B) and seeds; ``p_value`` the two-sided
    bootstrap p-value of "no difference" (twice the smaller tail share at 0).
    """
    runs = list(runs_a) + list(runs_b)
    if not runs_a or not runs_b:
        raise ValueError("each side needs at least one prediction set")
    n_frames = runs[0].n_frames
    if any(r.n_frames != n_frames or not np.array_equal(r.gt_class, runs[0].gt_class) for r in runs):
        raise ValueError("paired comparison needs every prediction set on the same frames, "
                         "with the same ground truth, in the same order")
    indices = resample_indices(n_frames, n_resamples, rng)
    draws_a = rng.integers(0, len(runs_a), size=(n_resamples, len(runs_a)))
    draws_b = rng.integers(0, len(runs_b), size=(n_resamples, len(runs_b)))
    report: dict = {}
    for iou in min_overlaps:
        for level in levels:
            point = np.array([[getattr(evaluate_level(r, level, iou), m) for m in METRICS] for r in runs])
            replicate = np.array([resample_ap(frame_table(r, level, iou), indices) for r in runs])
            cells = {}
            for m, metric in enumerate(METRICS):
                ap_a, ap_b = point[:len(runs_a), m].mean(), point[len(runs_a):, m].mean()
                deltas = (seed_mean(replicate[:len(runs_a), m], draws_a)
                          - seed_mean(replicate[len(runs_a):, m], draws_b))
                cells[metric] = {"a": float(ap_a), "b": float(ap_b), "delta": float(ap_a - ap_b),
                                 "ci95": list(percentile_interval(deltas, confidence)),
                                 "p_value": two_sided_p(deltas)}
            report.setdefault(iou, {})[level.name] = cells
    return report


def verdict(cell: dict) -> str:
    """``better`` / ``worse`` when the interval of A − B excludes 0, else ``not distinguishable``."""
    low, high = cell["ci95"]
    return "better" if low > 0 else "worse" if high < 0 else "not distinguishable"
