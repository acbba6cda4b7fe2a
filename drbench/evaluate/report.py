"""Score a folder of KITTI-format predictions against real KITTI labels: ``eval.json`` + PR plot.

Per IoU (0.5, the paper's; 0.7, KITTI's official for cars) and level: AP11
and AP40 by the devkit's rules, 95% bootstrap intervals over test images,
and the counts behind the numbers.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from drbench.data.kitti import KittiObject, parse_detections, read_labels
from drbench.data.splits import split_frames
from drbench.evaluate.bootstrap import bootstrap_ap
from drbench.evaluate.devkit import LevelResult, evaluate, max_reachable_ap, operating_point, pack
from drbench.evaluate.plots import plot_pr_curves
from drbench.io import write_json_atomic

COUNTS_RULE = (
    "tp/fp/fn at the sampled score threshold with the best F1 (the highest such threshold on ties); "
    "at every detection when no threshold was sampled (no true positive at all)"
)


def read_detections(path: str | os.PathLike) -> list[KittiObject]:
    """A prediction file: label lines that must carry a score (16 fields)."""
    return parse_detections(Path(path).read_text(encoding="utf-8"), str(path))


def _counts(result: LevelResult) -> dict:
    """Counts at the best-F1 sampled threshold (see COUNTS_RULE)."""
    c, k = result.counts, operating_point(result)
    if k is not None:
        at, rule = float(result.thresholds[k]), "best_f1"
    else:
        c, k, at, rule = result.all_counts, 0, None, "all_detections"
    return {
        "rule": rule,
        "score_threshold": at,
        "n_gt": result.n_gt,
        "tp": int(c.tp[k]),
        "fp": int(c.fp[k]),
        "fn": int(c.fn[k]),
        "ignored_gt": result.n_ignored_gt,
        "ignored_det": int(c.ignored_det[k]),
        "dontcare_det": int(c.dontcare[k]),
    }


def evaluate_dirs(
    gt_root: str | os.PathLike,
    pred_dir: str | os.PathLike,
    split: str | None = "real-test",
    out_dir: str | os.PathLike | None = None,
    bootstrap: int = 200,
    seed: int = 0,
) -> dict:
    """Evaluate ``pred_dir/<frame>.txt`` on ``gt_root/training/label_2`` for a split.

    A frame without a prediction file has no detections. Warns (``warnings.warn``)
    when a level has too few ground-truth boxes for AP to reach 100.
    """
    if bootstrap < 1:
        raise ValueError(f"bootstrap must be at least 1 resample, got {bootstrap}")
    gt_root, pred_dir = Path(gt_root), Path(pred_dir)
    if not pred_dir.is_dir():
        raise FileNotFoundError(f"prediction folder {pred_dir} does not exist")
    frames = split_frames(gt_root, split)
    ground_truth = [read_labels(gt_root / "training" / "label_2" / f"{f}.txt") for f in frames]
    present = {f for f in frames if (pred_dir / f"{f}.txt").is_file()}
    if not present:
        warnings.warn(f"{pred_dir} has no prediction file for any of the {len(frames)} {split} frames; "
                      "every box counts as missed", stacklevel=2)
    detections = [read_detections(pred_dir / f"{f}.txt") if f in present else [] for f in frames]

    packed = pack(ground_truth, detections)
    results = evaluate(packed)
    intervals = bootstrap_ap(packed, np.random.default_rng(seed), bootstrap)
    report: dict = {"results": {}}
    warned = set()
    for iou, by_level in results.items():
        report["results"][str(iou)] = {}
        for level, result in by_level.items():
            reach11, reach40 = max_reachable_ap(result.n_gt)
            if reach40 < 100.0 and level not in warned:
                warned.add(level)
                warnings.warn(
                    f"{split} has only {result.n_gt} {level} Car boxes (< 41): the devkit samples only "
                    f"that many score thresholds, so even a perfect detector scores at most "
                    f"AP11 {reach11:.1f} / AP40 {reach40:.1f} at {level}", stacklevel=2)
            report["results"][str(iou)][level] = {
                "ap11": result.ap11,
                "ap40": result.ap40,
                "ap11_ci95": list(intervals[iou][level]["ap11"]),
                "ap40_ci95": list(intervals[iou][level]["ap40"]),
                "n_gt": result.n_gt,
                "max_reachable_ap11": reach11,
                "max_reachable_ap40": reach40,
                "n_thresholds": int(result.thresholds.size),
                "counts": _counts(result),
                "precision": result.precision.tolist(),
                "recall": result.recall.tolist(),
            }
    report.update({
        "split": split,
        "n_frames": len(frames),
        "frames_without_predictions": len(frames) - len(present),
        "gt_root": str(gt_root),
        "pred_dir": str(pred_dir),
        "class": "Car",
        "bootstrap": {"resamples": bootstrap, "seed": seed, "unit": "image", "confidence": 0.95,
                      "interval": "percentile"},
        "counts_rule": COUNTS_RULE,
    })
    if out_dir is not None:
        out_dir = Path(out_dir)
        write_json_atomic(out_dir / "eval.json", report)
        plot_pr_curves(results, out_dir / "pr_curves.png", title=f"{pred_dir.name} on {split}")
    return report
