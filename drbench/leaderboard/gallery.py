"""What the board's error counts look like: an entry's top false positives and missed cars,
cropped from the real frames.

The errors column says how many background boxes or missed cars cost an entry
AP; a look at the worst of them says why (a shadow, a parked van, a car half out
of the frame). At the board's headline cell (IoU 0.5, easy, on the entry's
ranked split) the devkit's matching (:func:`drbench.evaluate.errors.classify`)
names every error; the ``TOP_K`` highest-scoring false positives and the
``TOP_K`` largest missed cars are cut out of their real frames with some
context, their box drawn and a caption (kind, score, size, frame) below.

The crops are KITTI pixels: they are written from the local real data when the
board is built, into ``GALLERY_DIR`` beside the board (git-ignored), and only
the page built there shows them; the committed page keeps the counts (KITTI's
licence, as for real training data, whose thumbnails are never shown).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFont

from drbench.data.kitti import KittiObject
from drbench.data.levels import LEVELS
from drbench.data.splits import split_frames
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


class Error(NamedTuple):
    """One false positive or missed car at the headline cell."""

    kind: str                                 # one of FALSE_POSITIVES, or "missed"
    frame: str
    bbox: tuple[float, float, float, float]   # the detection's box, or the missed car's
    score: float | None                       # None for a missed car

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

    @property
    def caption(self) -> str:
        left, top, right, bottom = self.bbox
        what = "missed car" if self.score is None else f"{self.kind} {self.score:.2f}"
        return f"{what}, {right - left:.0f}x{bottom - top:.0f} px, {self.frame}"


def top_errors(truth: list[list[KittiObject]], detections: list[list[KittiObject]], frames: list[str],
               k: int = TOP_K) -> tuple[list[Error], list[Error]]:
    """The ``k`` highest-scoring false positives and the ``k`` largest (by area) missed cars at
    the headline cell, most striking first (ties in frame order)."""
    iou, level_name = HEADLINE
    level = next(lv for lv in LEVELS if lv.name == level_name)
    found = classify(truth, detections, level, float(iou))
    false_positives = [Error(kind, frames[f], det.bbox, det.score)
                       for f, dets in enumerate(detections) for det, kind in zip(dets, found.kind[f])
                       if kind in FALSE_POSITIVES]
    missed = [Error("missed", frames[f], truth[f][g].bbox, None) for f, cars in enumerate(found.missed) for g in cars]
    false_positives.sort(key=lambda error: -error.score)
    missed.sort(key=lambda error: -error.area)
    return false_positives[:k], missed[:k]


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
    crop = Crop(*error, region, path)
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
    """An entry's crops, and the run whose predictions they show (an aggregate's first seed)."""

    prediction_set: str
    false_positives: list[Crop]
    missed: list[Crop]


def entry_gallery(path: Path, kitti_root: Path, gallery_dir: Path, k: int = TOP_K) -> Gallery:
    """Write the crops of one entry's top errors on its ranked split under ``gallery_dir/<run_id>/``
    (replacing earlier ones). A seed aggregate shows its first member's predictions: the errors of
    one model, not a mix of seeds."""
    entry = read_entry(path)
    member_path, member = prediction_entries(Path(path), entry)[0]
    predictions = read_predictions(member_path, member)
    frames = split_frames(kitti_root, entry["test_split"])
    false_positives, missed = top_errors(ground_truth(kitti_root, frames), [predictions[f] for f in frames],
                                         frames, k)
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

    return Gallery(member["run_id"], crops(false_positives, "fp"), crops(missed, "missed"))


def board_gallery(entries: list[dict], board_dir: Path, kitti_root: Path, gallery_dir: Path) -> dict[str, Gallery]:
    """run id -> gallery of every entry with stored predictions (its own, or its seeds')."""
    return {entry["run_id"]: entry_gallery(Path(board_dir) / f"{entry['run_id']}.json", kitti_root, gallery_dir)
            for entry in entries if "predictions" in entry or "aggregate" in entry}
