"""What costs AP, under the devkit's rules: a TIDE-style breakdown (Bolya et al. 2020).

A score says how good a detector is, not why. Here every detection of a level
and IoU is given one kind, by the devkit's own matching (the threshold pass of
:func:`drbench.evaluate.devkit.score_matches`: each car, in label order, takes
its highest-scoring candidate), and each error type is then fixed by an oracle
on the inputs and the AP recomputed by the devkit code itself:

* **background**: unmatched, IoU < 0.1 with every car and van; fix: removed.
* **localization**: unmatched with 0.1 <= IoU <= threshold with a car or van,
  or matched to a car of the level but shorter than the level's minimum height
  (the devkit then counts the car neither found nor missed); fix: the box
  becomes its car's, or is removed when that car is taken already.
* **duplicate**: unmatched, IoU above the threshold with a car or van another
  detection took; fix: removed.
* **missed**: a car of the level that no detection found nor localized badly;
  fix: a detection on its box scoring above every other one.

Detections the devkit does not count cost nothing and are only counted: on a
van, in a DontCare region, on a car outside the level, or (unmatched) shorter
than the level's minimum height. Fixing every error type gives the devkit's
reachable maximum, so the gains say where the missing AP went (they overlap,
as in TIDE, and need not add up).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from drbench.data.kitti import KittiObject
from drbench.data.levels import LEVELS, Level
from drbench.evaluate.devkit import (
    IOU_THRESHOLDS,
    candidates,
    evaluate_level,
    ignore_flags,
    max_reachable_ap,
    operating_point,
    pack,
    score_matches,
)

BACKGROUND_IOU = 0.1
ERRORS = ("background", "localization", "duplicate", "missed")
NO_COST = ("van", "dontcare", "outside_level", "below_min_height")
KINDS = ("true_positive", *ERRORS[:3], *NO_COST)  # the kinds a detection can have
MISSED_BINS = {  # label -> (field, low, high]: the levels' own boundaries
    "by_height": {"<= 40 px": ("height", -np.inf, 40), "40-80 px": ("height", 40, 80),
                  "> 80 px": ("height", 80, np.inf)},
    "by_occlusion": {"fully visible": ("occluded", -1, 0), "partly occluded": ("occluded", 0, 1),
                     "largely occluded": ("occluded", 1, 2)},
    "by_truncation": {"<= 0.15": ("truncated", -np.inf, 0.15), "0.15-0.30": ("truncated", 0.15, 0.30),
                      "0.30-0.50": ("truncated", 0.30, 0.50)},
}


@dataclass
class Classified:
    """Every detection's kind at one level and IoU, and what each oracle changes."""

    kind: list[list[str]]          # per frame, per detection: one of KINDS, "" for another class
    snap_to: list[dict[int, int]]  # per frame: localization error -> the car whose box it takes
    missed: list[list[int]]        # per frame: ground-truth indices of missed cars


def classify(ground_truth: list[list[KittiObject]], detections: list[list[KittiObject]], level: Level,
             min_overlap: float, class_name: str = "Car") -> Classified:
    """Give each detection its kind and find the missed cars (see the module docstring)."""
    frames = pack(ground_truth, detections, class_name)
    ig_gt, ig_det = ignore_flags(frames, level)
    match = score_matches(candidates(frames, ig_gt, ig_det, min_overlap), frames.det_score)
    n, g_max, d_max = frames.iou.shape
    taken_by = np.full((n, d_max + 1), -1)
    f, g = np.nonzero(match < d_max)
    taken_by[f, match[f, g]] = g
    taken_by = taken_by[:, :d_max]
    absorbing = (ig_gt != -1)[:, :, None]  # cars of any level and vans can take a detection
    overlap = np.where(absorbing, frames.iou, 0.0)
    best_iou, best_gt = overlap.max(axis=1), overlap.argmax(axis=1)
    in_dontcare = frames.dontcare_overlap > min_overlap

    kind, snap_to, missed = [], [], []
    for f in range(n):
        kinds, wanted = [], {}
        for d in range(len(detections[f])):
            g = taken_by[f, d]
            if ig_det[f, d] == -1:
                kinds.append("")
            elif g >= 0 and ig_gt[f, g] == 0:
                kinds.append("true_positive" if ig_det[f, d] == 0 else "localization")
                if ig_det[f, d] == 1:
                    wanted[d] = g
            elif g >= 0:
                kinds.append("van" if frames.gt_class[f, g] == 0 else "outside_level")
            elif ig_det[f, d] == 1:
                kinds.append("below_min_height")
            elif in_dontcare[f, d]:
                kinds.append("dontcare")
            elif best_iou[f, d] > min_overlap:
                kinds.append("duplicate")
            elif best_iou[f, d] >= BACKGROUND_IOU:
                kinds.append("localization")
                wanted[d] = best_gt[f, d]
            else:
                kinds.append("background")
        # a car takes the highest-scoring of its badly localized boxes, if no other took it
        snaps: dict[int, int] = {}
        for d in sorted(wanted, key=lambda d: -frames.det_score[f, d]):
            g = wanted[d]
            free = match[f, g] == d_max or match[f, g] == d
            if free and g not in snaps.values():
                snaps[d] = g
        kind.append(kinds)
        snap_to.append(snaps)
        valid = np.flatnonzero(ig_gt[f] == 0)
        missed.append([int(g) for g in valid if match[f, g] == d_max and g not in snaps.values()])
    return Classified(kind, snap_to, missed)


def fixed(ground_truth: list[list[KittiObject]], detections: list[list[KittiObject]], found: Classified,
          errors: tuple[str, ...], class_name: str = "Car") -> list[list[KittiObject]]:
    """The detections after an oracle fixed every error of the given types."""
    scores = [d.score for dets in detections for d in dets]
    top = max(scores, default=0.0) + 1.0
    out = []
    for f, dets in enumerate(detections):
        kept = []
        for d, det in enumerate(dets):
            kind = found.kind[f][d]
            if kind == "localization" and "localization" in errors:
                if d in found.snap_to[f]:
                    kept.append(replace(det, bbox=ground_truth[f][found.snap_to[f][d]].bbox))
            elif kind not in errors:
                kept.append(det)
        if "missed" in errors:
            kept += [KittiObject(class_name, ground_truth[f][g].bbox, score=top)
                     for g in found.missed[f]]
        out.append(kept)
    return out


def _ap40(ground_truth, detections, level: Level, min_overlap: float, class_name: str) -> float:
    return evaluate_level(pack(ground_truth, detections, class_name), level, min_overlap).ap40


def _missed_bins(ground_truth: list[list[KittiObject]], found: Classified) -> dict:
    """Missed cars counted by height, occlusion and truncation, binned at the levels' boundaries."""
    cars = [ground_truth[f][g] for f, gs in enumerate(found.missed) for g in gs]
    return {split: {label: sum(low < getattr(car, field) <= high for car in cars)
                    for label, (field, low, high) in bins.items()}
            for split, bins in MISSED_BINS.items()}


def level_breakdown(ground_truth: list[list[KittiObject]], detections: list[list[KittiObject]], level: Level,
                    min_overlap: float, class_name: str = "Car") -> dict:
    """One level at one IoU: AP40, each error type's count and AP40 gain (``dap40``), the
    no-cost detections, and the evaluator's operating point (best F1) with its false
    positives per image. ``at_operating_point`` counts detections scoring at least its threshold."""
    base = evaluate_level(pack(ground_truth, detections, class_name), level, min_overlap)
    found = classify(ground_truth, detections, level, min_overlap, class_name)
    k = operating_point(base)
    threshold = None if k is None else float(base.thresholds[k])
    counts = base.counts if k is not None else base.all_counts
    k = k or 0
    n_frames = len(ground_truth)

    def tally(kind: str) -> dict:
        scores = [det.score for f, dets in enumerate(detections) for d, det in enumerate(dets)
                  if found.kind[f][d] == kind]
        at = sum(s >= threshold for s in scores) if threshold is not None else len(scores)
        return {"count": len(scores), "at_operating_point": int(at)}

    def gain(errors: tuple[str, ...]) -> float:
        return _ap40(ground_truth, fixed(ground_truth, detections, found, errors, class_name), level,
                     min_overlap, class_name) - base.ap40

    errors = {kind: {**tally(kind), "dap40": gain((kind,))} for kind in ERRORS[:3]}
    errors["missed"] = {"count": sum(map(len, found.missed)), "dap40": gain(("missed",)),
                        **_missed_bins(ground_truth, found)}
    return {
        "ap40": base.ap40,
        "ap40_all_fixed": base.ap40 + gain(ERRORS),
        "max_reachable_ap40": max_reachable_ap(base.n_gt)[1],
        "n_gt": base.n_gt,
        "true_positives": tally("true_positive"),
        "errors": errors,
        "no_cost": {kind: tally(kind) for kind in NO_COST},
        "operating_point": {"rule": "best_f1" if threshold is not None else "all_detections",
                            "score_threshold": threshold, "tp": int(counts.tp[k]), "fp": int(counts.fp[k]),
                            "fn": int(counts.fn[k]), "fp_per_image": int(counts.fp[k]) / max(n_frames, 1)},
    }


def breakdown(ground_truth: list[list[KittiObject]], detections: list[list[KittiObject]],
              min_overlaps: tuple[float, ...] = IOU_THRESHOLDS, levels: tuple[Level, ...] = LEVELS) -> dict:
    """``{iou: {level: level_breakdown}}`` with string keys, JSON-ready."""
    return {str(iou): {lv.name: level_breakdown(ground_truth, detections, lv, iou) for lv in levels}
            for iou in min_overlaps}


def mean_breakdown(ground_truth: list[list[KittiObject]], detection_sets: list[list[list[KittiObject]]]) -> dict:
    """The breakdown of a model trained with several seeds: every number averaged over its
    prediction sets (one set: its own breakdown)."""
    trees = [breakdown(ground_truth, detections) for detections in detection_sets]
    return trees[0] if len(trees) == 1 else _mean(trees)


def _mean(trees: list):
    """Average numeric leaves of equally shaped trees; other leaves (a rule's name) are kept."""
    first = trees[0]
    if isinstance(first, dict):
        return {key: _mean([tree[key] for tree in trees]) for key in first}
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return float(np.mean(trees))
    if first is None:
        numbers = [tree for tree in trees if tree is not None]
        return float(np.mean(numbers)) if numbers else None
    return first
