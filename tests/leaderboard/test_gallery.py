"""The gallery of committed entries' worst errors, cut from the real kitti-mini frames.

Two entries of the board with their real prediction archives: the CPU recipe's
DR arm (AP40 37 at 0.5 easy; best-F1 threshold 0.96, below which it leaves 23
easy cars, though it has some box on all but 6) and a smoke fine-tune arm
(a weak model: a low threshold, many cars missed). Crops are checked pixel by pixel against the
frames they come from, the missed cars against the labels, the threshold and
an IoU computed here, and both pages for what they may reference.
"""

from __future__ import annotations

import math
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
from drbench.evaluate.errors import classify, level_breakdown
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
    top_errors,
)
from drbench.leaderboard.page import render_html
from drbench.leaderboard.predictions import read_predictions
from drbench.paths import REPO_ROOT

COMMITTED_BOARD = REPO_ROOT / "leaderboards"
DR_CPU = "dr-only-dr-cpu-d230dabc"
# the smoke entry is renamed whenever the step code changes: found by its arm
SMOKE = next(COMMITTED_BOARD.glob("fine-tune-dr-then-real-10-smoke-*.json")).stem
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


def operating_point(board, root, run):
    """The entry's best-F1 threshold at IoU 0.5 easy and its FP and FN there, as the breakdown reports them."""
    point = level_breakdown(*real_test(board, root, run)[1:], EASY, 0.5)["operating_point"]
    assert point["rule"] == "best_f1"
    return point["score_threshold"], point["fp"], point["fn"]


def is_easy_car(obj) -> bool:
    return obj.type == "Car" and obj.height > 40 and obj.occluded == 0 and obj.truncated <= 0.15


def test_the_false_positives_are_the_highest_scoring_ones_above_the_threshold(board, root, galleries):
    frames, truth, detections = real_test(board, root, DR_CPU)
    threshold, fp, _ = operating_point(board, root, DR_CPU)
    assert galleries[DR_CPU].threshold == threshold
    kinds = classify(truth, detections, EASY, 0.5).kind
    errors = sorted(((det.score, frames[f], det.bbox, kind) for f, dets in enumerate(detections)
                     for det, kind in zip(dets, kinds[f]) if kind in FALSE_POSITIVES), key=lambda e: -e[0])
    shown = galleries[DR_CPU].false_positives
    assert len(shown) == TOP_K
    assert [c.score for c in shown] == sorted((c.score for c in shown), reverse=True)
    assert [(c.score, c.frame, c.bbox, c.kind) for c in shown] == errors[:TOP_K]
    assert shown[-1].score >= threshold > errors[TOP_K][0] > 0.9, "exactly TOP_K false positives at the threshold"
    assert fp == TOP_K, "the devkit counts the same false positives there"
    assert {c.kind for c in shown} == {"background", "localization"}
    for run in (DR_CPU, SMOKE):
        assert all(c.score >= galleries[run].threshold for c in galleries[run].false_positives)


@pytest.mark.parametrize("run", [DR_CPU, SMOKE])
def test_the_missed_cars_are_easy_cars_no_detection_above_the_threshold_finds(board, root, galleries, run):
    frames, truth, detections = real_test(board, root, run)
    threshold, _, fn = operating_point(board, root, run)
    gallery = galleries[run]
    assert gallery.threshold == threshold and 0 < threshold < 1

    def best_score(f, car):
        return max((det.score for det in detections[f] if det.type == "Car" and iou(det.bbox, car.bbox) >= 0.5),
                   default=None)

    missed_here = [(f, car) for f, cars in enumerate(truth) for car in cars
                   if is_easy_car(car) and (best_score(f, car) or -1) < threshold]
    assert len(missed_here) == fn, "as many as the devkit's false negatives at the threshold"
    everything = top_errors(*real_test(board, root, run)[1:], frames, k=10_000)
    assert everything.threshold == threshold
    assert sorted((e.frame, e.bbox) for e in everything.missed) == sorted(
        (frames[f], car.bbox) for f, car in missed_here)

    missed = gallery.missed
    assert len(missed) == TOP_K < fn
    areas = [(c.bbox[2] - c.bbox[0]) * (c.bbox[3] - c.bbox[1]) for c in missed]
    assert areas == sorted(areas, reverse=True)
    assert areas[-1] >= max((car.bbox[2] - car.bbox[0]) * (car.bbox[3] - car.bbox[1])
                            for f, car in missed_here if (frames[f], car.bbox) not in {(c.frame, c.bbox) for c in missed})
    for crop in missed:
        f = frames.index(crop.frame)
        car = next(obj for obj in truth[f] if obj.bbox == crop.bbox)
        assert is_easy_car(car)
        assert crop.score is None and crop.kind == "missed" and crop.threshold == threshold
        overlapping = [det.score for det in detections[f] if iou(det.bbox, car.bbox) >= 0.5]
        assert all(score < threshold for score in overlapping), "no detection at the threshold found it"
        best = best_score(f, car)
        assert crop.best == best
        said = re.fullmatch(r"missed at thr (\d\.\d+) · (no box|best (\d\.\d+)), \d+x\d+ px, \d{6}", crop.caption)
        assert said and abs(float(said[1]) - threshold) <= 0.005, crop.caption
        assert (said[3] is None) if best is None else abs(float(said[3]) - best) <= 0.005, crop.caption
    if run == DR_CPU:
        assert threshold > 0.95
        assert any(crop.best is None for crop in missed) and any(crop.best is not None for crop in missed)


def test_a_missed_cars_caption_says_the_threshold_and_its_best_score():
    from drbench.leaderboard.gallery import missed_caption
    assert missed_caption(0.62, 0.31) == "missed at thr 0.62 · best 0.31"
    assert missed_caption(0.62, None) == "missed at thr 0.62 · no box"
    assert missed_caption(0.9595, 0.957) == "missed at thr 0.960 · best 0.957", "more digits where they would tie"
    assert missed_caption(-math.inf, None) == "missed at any score · no box"


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
    assert len(crops) == TOP_K * 4
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
    assert len(crops_shown) == TOP_K * 4
    assert "crops: top 8 false positives, 8 largest missed cars at score ≥ 0.96 (best F1)" in gallery_page.read_text()
    summaries = re.findall(r"crops: top 8 false positives, 8 largest missed cars at score ≥ [0-9.]+ \(best F1\)",
                           gallery_page.read_text())
    assert len(summaries) == 2, "one fold-out per entry, each naming its own threshold"
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
