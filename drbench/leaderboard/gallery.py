"""What the board's error counts look like: an entry's top false positives and missed cars,
cropped from the real frames.

The errors column says how many background boxes or missed cars cost an entry
AP; a look at the worst of them says why (a shadow, a parked van, a car half out
of the frame). At the board's headline cell (IoU 0.5, easy, on the entry's
ranked split) and at the entry's operating point, the best-F1 score threshold
the devkit finds (:func:`drbench.evaluate.devkit.operating_point`, the one the
error counts are given at), the gallery shows what a user of the model would
see go wrong:

* false positives: the ``TOP_K`` highest-scoring detections scoring at least the
  threshold that the devkit's matching (:func:`drbench.evaluate.errors.classify`)
  calls background, localization or duplicate;
* missed cars: the ``TOP_K`` largest (by box area) easy cars that no detection
  scoring at least the threshold overlaps at IoU above 0.5 (the devkit's
  candidates), each with the best score any detection on it at that IoU got, if
  one did. errors.py counts a car as missed only when no box at any score
  overlaps it at IoU 0.1: with predictions stored down to score 0.001 almost
  no car is missed so.

Each is cut out of its real frame with some context, its box drawn and a
caption (kind, score or threshold and best score, size, frame) below.

The crops are KITTI pixels: they are written from the local real data when the
board is built, into ``GALLERY_DIR`` beside the board (git-ignored), and only
the page built there shows them; the committed page keeps the counts (KITTI's
licence, as for real training data, whose thumbnails are never shown).
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFont

from drbench.data.kitti import KittiObject
from drbench.data.levels import LEVELS
from drbench.data.splits import split_frames
from drbench.evaluate.devkit import (
    candidates,
    evaluate_level,
    ignore_flags,
    operating_point,
    pack,
)
from drbench.evaluate.errors import classify
from drbench.leaderboard.breakdown import ground_truth
from drbench.leaderboard.comparison import prediction_entries
from drbench.leaderboard.entries import read_entry
from drbench.leaderboard.predictions import read_predictions
from drbench.leaderboard.ranking import HEADLINE

GALLERY_DIR = "gallery"  # beside the board, git-ignored: its crops are of real KITTI frames
TOP_K = 8
FALSE_POSITIVES = ("background", "localization", "duplicate")
MARGIN = 0.5      # context on each side, as a share of the box's width and height
MIN_MARGIN = 16   # px: a small box still shows its surroundings
CAPTION_PX = 13
LINE_PX = 2
COLORS = {"background": (230, 40, 40), "localization": (240, 150, 0), "duplicate": (200, 60, 220),
          "missed": (30, 160, 255)}


def score_text(score: float, other: float | None = None) -> str:
    """A score to 2 decimals, or more (up to 4) where ``other`` would read the same."""
    digits = 2
    while other is not None and digits < 4 and f"{score:.{digits}f}" == f"{other:.{digits}f}":
        digits += 1
    return f"{score:.{digits}f}"


def missed_caption(threshold: float, best: float | None) -> str:
    """``missed at thr 0.96 · best 0.93``, or ``· no box`` when no detection overlaps the car
    at the IoU at any score; ``missed at any score`` when the entry has no operating point."""
    at = "at any score" if math.isinf(threshold) else f"at thr {score_text(threshold, best)}"
    return f"missed {at} · " + ("no box" if best is None else f"best {score_text(best, threshold)}")


class Error(NamedTuple):
    """One false positive or missed car at the headline cell and operating point."""

    kind: str                                 # one of FALSE_POSITIVES, or "missed"
    frame: str
    bbox: tuple[float, float, float, float]   # the detection's box, or the missed car's
    score: float | None                       # None for a missed car
    threshold: float = -math.inf              # the operating point's score threshold
    best: float | None = None                 # missed car: best score on it at the IoU, None if no box

    @property
    def area(self) -> float:
        left, top, right, bottom = self.bbox
        return (right - left) * (bottom - top)


@dataclass(frozen=True)
class Crop:
    """One error cut out of its frame: the error, the frame region shown, the JPEG written."""

    kind: str
    frame: str
    bbox: tuple[float, float, float, float]
    score: float | None
    region: tuple[int, int, int, int]         # left, top, right, bottom of the frame shown
    path: Path
    threshold: float = -math.inf
    best: float | None = None

    @property
    def caption(self) -> str:
        left, top, right, bottom = self.bbox
        what = missed_caption(self.threshold, self.best) if self.score is None else f"{self.kind} {self.score:.2f}"
        return f"{what}, {right - left:.0f}x{bottom - top:.0f} px, {self.frame}"


class TopErrors(NamedTuple):
    """An entry's operating point at the headline cell and its errors there, most striking first."""

    threshold: float            # best-F1 score threshold; -inf without one (no true positive)
    false_positives: list[Error]
    missed: list[Error]


def top_errors(truth: list[list[KittiObject]], detections: list[list[KittiObject]], frames: list[str],
               k: int = TOP_K) -> TopErrors:
    """At the headline cell and the devkit's operating point (best F1, as the breakdown's
    ``at_operating_point`` counts): the ``k`` highest-scoring false positives scoring at least its
    threshold, and the ``k`` largest (by area) easy cars no detection scoring at least it overlaps
    at IoU above the cell's (ties in frame order). Without an operating point (no true positive)
    every detection counts, as in the breakdown."""
    iou, level_name = HEADLINE
    level = next(lv for lv in LEVELS if lv.name == level_name)
    packed = pack(truth, detections)
    result = evaluate_level(packed, level, float(iou))
    point = operating_point(result)
    threshold = -math.inf if point is None else float(result.thresholds[point])

    found = classify(truth, detections, level, float(iou))
    false_positives = [Error(kind, frames[f], det.bbox, det.score, threshold)
                       for f, dets in enumerate(detections) for det, kind in zip(dets, found.kind[f])
                       if kind in FALSE_POSITIVES and det.score >= threshold]

    # the devkit's candidates: car detections (any height) at IoU > the cell's with a car of the level
    ig_gt, ig_det = ignore_flags(packed, level)
    cand = candidates(packed, ig_gt, ig_det, float(iou))
    n_dets = packed.det_score.shape[1]
    missed = []
    for f, cars in enumerate(truth):
        for g in range(len(cars)):
            if ig_gt[f, g] != 0:
                continue
            scores = [float(packed.det_score[f, d]) for d in cand.det[f, g] if d < n_dets]
            best = max(scores, default=None)
            if best is None or best < threshold:
                missed.append(Error("missed", frames[f], cars[g].bbox, None, threshold, best))
    false_positives.sort(key=lambda error: -error.score)
    missed.sort(key=lambda error: -error.area)
    return TopErrors(threshold, false_positives[:k], missed[:k])


def context_region(bbox: tuple[float, ...], width: int, height: int) -> tuple[int, int, int, int]:
    """The box grown by ``MARGIN`` of its size on each side (at least ``MIN_MARGIN``), inside the frame."""
    left, top, right, bottom = bbox
    dx, dy = max(MARGIN * (right - left), MIN_MARGIN), max(MARGIN * (bottom - top), MIN_MARGIN)
    return (max(0, int(left - dx)), max(0, int(top - dy)),
            min(width, int(right + dx + 1)), min(height, int(bottom + dy + 1)))


def write_crop(image: Image.Image, error: Error, path: Path) -> Crop:
    """The frame's region around the error's box at full resolution, the box drawn, the caption
    below it (the canvas is widened for a caption longer than a small crop)."""
    region = context_region(error.bbox, *image.size)
    crop = Crop(error.kind, error.frame, error.bbox, error.score, region, path, error.threshold, error.best)
    font = ImageFont.load_default(size=CAPTION_PX - 2)
    shown = image.crop(region)
    canvas = Image.new("RGB", (max(shown.width, int(font.getlength(crop.caption)) + 6), shown.height + CAPTION_PX),
                       (255, 255, 255))
    canvas.paste(shown, (0, 0))
    draw = ImageDraw.Draw(canvas)
    left, top, right, bottom = (round(v) for v in error.bbox)
    draw.rectangle((left - region[0], top - region[1], right - region[0], bottom - region[1]),
                   outline=COLORS[error.kind], width=LINE_PX)
    draw.text((3, shown.height), crop.caption, fill=(0, 0, 0), font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, quality=90, subsampling=0)  # full-resolution colour: a 2 px box keeps its hue
    return crop


@dataclass(frozen=True)
class Gallery:
    """An entry's crops, the run whose predictions they show (an aggregate's first seed) and the
    operating point's score threshold they are shown at (-inf: every detection)."""

    prediction_set: str
    false_positives: list[Crop]
    missed: list[Crop]
    threshold: float = -math.inf


def entry_gallery(path: Path, kitti_root: Path, gallery_dir: Path, k: int = TOP_K) -> Gallery:
    """Write the crops of one entry's top errors on its ranked split under ``gallery_dir/<run_id>/``
    (replacing earlier ones). A seed aggregate shows its first member's predictions: the errors of
    one model, not a mix of seeds."""
    entry = read_entry(path)
    member_path, member = prediction_entries(Path(path), entry)[0]
    predictions = read_predictions(member_path, member)
    frames = split_frames(kitti_root, entry["test_split"])
    threshold, false_positives, missed = top_errors(ground_truth(kitti_root, frames),
                                                    [predictions[f] for f in frames], frames, k)
    out = Path(gallery_dir) / entry["run_id"]
    shutil.rmtree(out, ignore_errors=True)
    images = {}

    def crops(errors: list[Error], prefix: str) -> list[Crop]:
        written = []
        for rank, error in enumerate(errors, start=1):
            if error.frame not in images:
                image = Path(kitti_root) / "training" / "image_2" / f"{error.frame}.png"
                images[error.frame] = Image.open(image).convert("RGB")
            written.append(write_crop(images[error.frame], error,
                                      out / f"{prefix}-{rank:02d}-{error.kind}-{error.frame}.jpg"))
        return written

    return Gallery(member["run_id"], crops(false_positives, "fp"), crops(missed, "missed"), threshold)


def board_gallery(entries: list[dict], board_dir: Path, kitti_root: Path, gallery_dir: Path) -> dict[str, Gallery]:
    """run id -> gallery of every entry with stored predictions (its own, or its seeds')."""
    return {entry["run_id"]: entry_gallery(Path(board_dir) / f"{entry['run_id']}.json", kitti_root, gallery_dir)
            for entry in entries if "predictions" in entry or "aggregate" in entry}
