"""The gallery of committed entries' worst errors, cut from the real kitti-mini frames.

Two entries of the board with their real prediction archives: the CPU recipe's
DR arm (AP40 37 at 0.5 easy; no car it left without any box) and a smoke
fine-tune arm that missed 3 easy cars outright. Crops are checked pixel by pixel
against the frames they come from, the missed cars against the labels with an
IoU computed here, and both pages for what they may reference.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from drbench.cli import main
from drbench.data.kitti import read_labels
from drbench.data.levels import LEVELS
from drbench.data.splits import split_frames
from drbench.evaluate.errors import classify
from drbench.leaderboard.entries import read_entry
from drbench.leaderboard.gallery import (
    CAPTION_PX,
    COLORS,
    FALSE_POSITIVES,
    GALLERY_DIR,
    LINE_PX,
    MIN_MARGIN,
    TOP_K,
    entry_gallery,
)
from drbench.leaderboard.page import render_html
from drbench.leaderboard.predictions import read_predictions
from drbench.paths import REPO_ROOT

COMMITTED_BOARD = REPO_ROOT / "leaderboards"
DR_CPU = "dr-only-dr-cpu-d230dabc"
SMOKE = "fine-tune-dr-then-real-10-smoke-45926996"
EASY = LEVELS[0]


def copy_board(board):
    """``board`` holding the two committed entries, their prediction archives and thumbnails."""
    for run in (DR_CPU, SMOKE):
        entry = read_entry(COMMITTED_BOARD / f"{run}.json")
        for relative in (f"{run}.json", entry["predictions"]["archive"], entry.get("thumbnail")):
            if relative:
                (board / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(COMMITTED_BOARD / relative, board / relative)
    return board


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    return copy_board(tmp_path_factory.mktemp("gallery") / "leaderboards")


@pytest.fixture(scope="module")
def galleries(board, root):
    return {run: entry_gallery(board / f"{run}.json", root, board / GALLERY_DIR) for run in (DR_CPU, SMOKE)}


def real_test(board, root, run):
    """The entry's real-test frames, their labels and its detections on them."""
    frames = split_frames(root, "real-test")
    predictions = read_predictions(board / f"{run}.json", read_entry(board / f"{run}.json"))
    return (frames, [read_labels(root / "training" / "label_2" / f"{f}.txt") for f in frames],
            [predictions[f] for f in frames])


def iou(a, b) -> float:
    inter = max(min(a[2], b[2]) - max(a[0], b[0]), 0) * max(min(a[3], b[3]) - max(a[1], b[1]), 0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_the_false_positives_are_the_highest_scoring_ones(board, root, galleries):
    frames, truth, detections = real_test(board, root, DR_CPU)
    kinds = classify(truth, detections, EASY, 0.5).kind
    errors = sorted(((det.score, frames[f], det.bbox, kind) for f, dets in enumerate(detections)
                     for det, kind in zip(dets, kinds[f]) if kind in FALSE_POSITIVES), key=lambda e: -e[0])
    shown = galleries[DR_CPU].false_positives
    assert len(shown) == TOP_K
    assert [c.score for c in shown] == sorted((c.score for c in shown), reverse=True)
    assert [(c.score, c.frame, c.bbox, c.kind) for c in shown] == errors[:TOP_K]
    assert shown[-1].score > errors[TOP_K][0] > 0.9, "the next one scores lower, and these are confident"
    assert {c.kind for c in shown} == {"background", "localization"}
    assert galleries[DR_CPU].missed == [], "every easy car of this entry has some box (counted as localization)"


def test_the_missed_cars_are_easy_cars_no_detection_overlaps(board, root, galleries):
    frames, truth, detections = real_test(board, root, SMOKE)
    missed = galleries[SMOKE].missed
    assert len(missed) == 3, "all of them: fewer than TOP_K"
    areas = [(c.bbox[2] - c.bbox[0]) * (c.bbox[3] - c.bbox[1]) for c in missed]
    assert areas == sorted(areas, reverse=True)
    for crop in missed:
        f = frames.index(crop.frame)
        car = next(obj for obj in truth[f] if obj.bbox == crop.bbox)
        assert car.type == "Car" and car.height >= 40 and car.occluded == 0 and car.truncated <= 0.15
        assert crop.score is None and crop.kind == "missed"
        assert max((iou(det.bbox, car.bbox) for det in detections[f]), default=0) < 0.5, "no detection found it"


def line_mask(crop, blur: int) -> np.ndarray:
    """The drawn box's pixels in the crop's frame region, widened by ``blur`` pixels each way."""
    left, top, right, bottom = (round(v) - offset for v, offset in zip(crop.bbox, crop.region[:2] * 2))
    ys, xs = np.mgrid[0:crop.region[3] - crop.region[1], 0:crop.region[2] - crop.region[0]]
    outer = (xs >= left - blur) & (xs <= right + blur) & (ys >= top - blur) & (ys <= bottom + blur)
    inner = ((xs >= left + LINE_PX + blur) & (xs <= right - LINE_PX - blur)
             & (ys >= top + LINE_PX + blur) & (ys <= bottom - LINE_PX - blur))
    return outer & ~inner


def test_each_crop_is_its_frames_region_around_the_box_with_the_box_drawn(root, galleries):
    crops = [crop for gallery in galleries.values() for crop in [*gallery.false_positives, *gallery.missed]]
    assert len(crops) == TOP_K * 2 + 3
    for crop in crops:
        frame = Image.open(root / "training" / "image_2" / f"{crop.frame}.png").convert("RGB")
        left, top, right, bottom = crop.region
        box_left, box_top, box_right, box_bottom = crop.bbox
        assert left >= 0 and top >= 0 and right <= frame.width and bottom <= frame.height
        for context, room in ((box_left - left, box_left), (box_top - top, box_top),
                              (right - box_right, frame.width - box_right),
                              (bottom - box_bottom, frame.height - box_bottom)):
            assert context >= min(MIN_MARGIN, room) - 1, f"{crop.path}: no context around the box"
        written = np.asarray(Image.open(crop.path).convert("RGB"), float)
        assert written.shape[0] == bottom - top + CAPTION_PX and written.shape[1] >= right - left
        shown, away = written[:bottom - top, :right - left], ~line_mask(crop, blur=1)
        exact, beside = (np.abs(shown - np.asarray(frame.crop(region), float))[away].mean()
                         for region in (crop.region, (left + 2, top, right + 2, bottom)))
        assert exact < 6 and beside > 2 * exact, f"{crop.path} is not its frame's region ({exact}, {beside})"
        line = shown[line_mask(crop, blur=0)]
        assert np.abs(np.median(line, axis=0) - COLORS[crop.kind]).max() < 15, f"{crop.path}: box not drawn"


def test_the_page_beside_the_crops_shows_them_and_the_committed_one_does_not(tmp_path, root):
    board = copy_board(tmp_path / "leaderboards")
    assert main(["leaderboard", "--board-dir", str(board), "--kitti-root", str(root)]) == 0
    committed = (board / "index.html").read_text()
    assert "background" in committed, "the counts are there"
    assert re.findall(r'src="([^"]+)"', committed) == ["thumbs/7260de1a4145.jpg"]
    assert "<details" not in committed and GALLERY_DIR not in committed
    gallery_page = board / GALLERY_DIR / "index.html"
    crops_shown = re.findall(r'<img src="([^"]+)"', gallery_page.read_text())
    assert sorted(crops_shown) == sorted(
        path.relative_to(gallery_page.parent).as_posix() for path in (board / GALLERY_DIR).rglob("*.jpg"))
    assert len(crops_shown) == TOP_K * 2 + 3
    assert "crops: top 8 false positives, no missed car" in gallery_page.read_text()
    assert "crops: top 8 false positives, 3 largest missed cars" in gallery_page.read_text()
    in_repo = f"leaderboards/{GALLERY_DIR}/{DR_CPU}/fp-01-background-000050.jpg"
    ignored = subprocess.run(["git", "-C", str(REPO_ROOT), "check-ignore", "-q", "--no-index", in_repo], check=False)
    assert ignored.returncode == 0, f"{in_repo} is not git-ignored"


def test_without_the_real_frames_no_crop_is_written(tmp_path):
    board = copy_board(tmp_path / "leaderboards")
    assert main(["leaderboard", "--board-dir", str(board), "--kitti-root", str(tmp_path / "no-kitti")]) == 0
    assert not (board / GALLERY_DIR).exists()
    assert "no KITTI labels where the page was built" in (board / "index.html").read_text()


def test_a_page_outside_the_gallery_folder_refuses_the_crops(board, root, galleries):
    entries = [read_entry(board / f"{run}.json") for run in galleries]
    with pytest.raises(ValueError, match="can only be shown by a page in its own git-ignored folder"):
        render_html(entries, board, board / "index.html", kitti_root=root, gallery=galleries)
