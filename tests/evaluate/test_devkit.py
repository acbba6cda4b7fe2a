"""drbench.evaluate.devkit against hand-computed cases, a literal devkit port and pycocotools."""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from drbench.data.kitti import KittiObject, read_labels
from drbench.data.splits import split_frames
from drbench.evaluate import devkit
from drbench.paths import DataRootError, kitti_root


# ---------------------------------------------------------------------------
# A slow, literal transcription of evaluate_object.cpp (cleanData,
# computeStatistics, getThresholds, eval_class), loop for loop.  The only
# departure: precision 0/0 is 0 here too (the cpp gives NaN), as in drbench.
# ---------------------------------------------------------------------------

def ref_overlap(a, b, criterion=-1):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    w, h = x2 - x1, y2 - y1
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    a_area = (a[2] - a[0]) * (a[3] - a[1])
    b_area = (b[2] - b[0]) * (b[3] - b[1])
    if criterion == -1:
        return inter / (a_area + b_area - inter)
    return inter / a_area


def ref_clean_data(gt, det, level):
    ignored_gt, dc, ignored_det, n_gt = [], [], [], 0
    for g in gt:
        height = g.bbox[3] - g.bbox[1]
        if g.type.lower() == "car":
            valid_class = 1
        elif g.type.lower() == "van":
            valid_class = 0
        else:
            valid_class = -1
        ignore = (g.occluded > level.max_occlusion or g.truncated > level.max_truncation
                  or height <= level.min_height)
        if valid_class == 1 and not ignore:
            ignored_gt.append(0)
            n_gt += 1
        elif valid_class == 0 or (ignore and valid_class == 1):
            ignored_gt.append(1)
        else:
            ignored_gt.append(-1)
    for g in gt:
        if g.type.lower() == "dontcare":
            dc.append(g)
    for d in det:
        valid_class = 1 if d.type.lower() == "car" else -1
        height = int(abs(d.bbox[1] - d.bbox[3]))
        if height < level.min_height:
            ignored_det.append(1)
        elif valid_class == 1:
            ignored_det.append(0)
        else:
            ignored_det.append(-1)
    return ignored_gt, dc, ignored_det, n_gt


def ref_compute_statistics(min_overlap, gt, det, dc, ignored_gt, ignored_det, compute_fp, thresh=0.0):
    tp = fp = fn = 0
    v = []
    assigned = [False] * len(det)
    ignored_threshold = [compute_fp and d.score < thresh for d in det]
    no_detection = -10000000
    for i, g in enumerate(gt):
        if ignored_gt[i] == -1:
            continue
        det_idx, valid_detection, max_overlap, assigned_ignored_det = -1, no_detection, 0.0, False
        for j, d in enumerate(det):
            if ignored_det[j] == -1 or assigned[j] or ignored_threshold[j]:
                continue
            overlap = ref_overlap(d.bbox, g.bbox)
            if not compute_fp and overlap > min_overlap and d.score > valid_detection:
                det_idx, valid_detection = j, d.score
            elif (compute_fp and overlap > min_overlap and (overlap > max_overlap or assigned_ignored_det)
                  and ignored_det[j] == 0):
                max_overlap, det_idx, valid_detection, assigned_ignored_det = overlap, j, 1, False
            elif compute_fp and overlap > min_overlap and valid_detection == no_detection and ignored_det[j] == 1:
                det_idx, valid_detection, assigned_ignored_det = j, 1, True
        if valid_detection == no_detection and ignored_gt[i] == 0:
            fn += 1
        elif valid_detection != no_detection and (ignored_gt[i] == 1 or ignored_det[det_idx] == 1):
            assigned[det_idx] = True
        elif valid_detection != no_detection:
            tp += 1
            v.append(det[det_idx].score)
            assigned[det_idx] = True
    if compute_fp:
        for i in range(len(det)):
            if not (assigned[i] or ignored_det[i] == -1 or ignored_det[i] == 1 or ignored_threshold[i]):
                fp += 1
        nstuff = 0
        for c in dc:
            for j, d in enumerate(det):
                if assigned[j] or ignored_det[j] in (-1, 1) or ignored_threshold[j]:
                    continue
                if ref_overlap(d.bbox, c.bbox, 0) > min_overlap:
                    assigned[j] = True
                    nstuff += 1
        fp -= nstuff
    return tp, fp, fn, v


def ref_get_thresholds(v, n_groundtruth):
    v = sorted(v, reverse=True)
    t = []
    current_recall = 0.0
    for i in range(len(v)):
        l_recall = (i + 1) / n_groundtruth
        r_recall = (i + 2) / n_groundtruth if i < len(v) - 1 else l_recall
        if (r_recall - current_recall) < (current_recall - l_recall) and i < len(v) - 1:
            continue
        t.append(v[i])
        current_recall += 1.0 / (41 - 1.0)
    return t


def ref_eval_class(gts, dets, level, min_overlap):
    n_gt, v, cleaned = 0, [], []
    for gt, det in zip(gts, dets):
        i_gt, dc, i_det, n = ref_clean_data(gt, det, level)
        n_gt += n
        cleaned.append((i_gt, dc, i_det))
        v += ref_compute_statistics(min_overlap, gt, det, dc, i_gt, i_det, False)[3]
    thresholds = ref_get_thresholds(v, n_gt) if n_gt else []
    tp, fp, fn = [0] * len(thresholds), [0] * len(thresholds), [0] * len(thresholds)
    for (gt, det), (i_gt, dc, i_det) in zip(zip(gts, dets), cleaned):
        for t, thresh in enumerate(thresholds):
            a, b, c, _ = ref_compute_statistics(min_overlap, gt, det, dc, i_gt, i_det, True, thresh)
            tp[t] += a
            fp[t] += b
            fn[t] += c
    precision = [0.0] * 41
    for i in range(len(thresholds)):
        precision[i] = tp[i] / (tp[i] + fp[i]) if tp[i] + fp[i] else 0.0
    for i in range(len(thresholds)):
        precision[i] = max(precision[i:])
    return thresholds, tp, fp, fn, precision


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def gt(box, kind="Car", truncated=0.0, occluded=0):
    return KittiObject(type=kind, bbox=tuple(float(v) for v in box), truncated=truncated, occluded=occluded)


def det(box, score, kind="Car"):
    return KittiObject(type=kind, bbox=tuple(float(v) for v in box), score=score)


def row_of_cars(n=41):
    """``n`` easy cars side by side in one frame, 25 x 50 px, none overlapping."""
    return [gt((30 * i, 100, 30 * i + 25, 150)) for i in range(n)]


def perfect(cars, start=0.9):
    """One exact detection per car, distinct descending scores."""
    return [det(c.bbox, round(start - 0.001 * i, 4)) for i, c in enumerate(cars)]


def evaluate(gts, dets):
    return devkit.evaluate(devkit.pack(gts, dets))


def data_root():
    try:
        return kitti_root()
    except DataRootError as exc:
        pytest.skip(f"kitti-mini not found: {exc}")


# ---------------------------------------------------------------------------
# Hand-built cases, AP worked out on paper
# ---------------------------------------------------------------------------

def test_perfect_detector_with_41_cars_scores_100():
    cars = row_of_cars()
    res = evaluate([cars], [perfect(cars)])
    for iou in (0.5, 0.7):
        for level in ("easy", "moderate", "hard"):
            r = res[iou][level]
            assert (r.n_gt, r.ap11, r.ap40) == (41, 100.0, 100.0)
            assert r.counts.fp.tolist() == [0] * 41 and r.counts.fn[-1] == 0


def test_perfect_detector_with_4_cars_samples_only_4_thresholds():
    # 4 ground-truth boxes -> 4 thresholds -> precision 1 at points 0..3, 0 after.
    cars = row_of_cars(4)
    r = evaluate([cars], [perfect(cars)])[0.7]["easy"]
    assert len(r.thresholds) == 4
    assert r.ap40 == pytest.approx(100 * 3 / 40)
    assert r.ap11 == pytest.approx(100 * 1 / 11)
    assert devkit.max_reachable_ap(4) == pytest.approx((100 / 11, 7.5))


def test_all_wrong_detections_score_0():
    cars = row_of_cars()
    wrong = [det((c.bbox[0], 300, c.bbox[2], 350), 0.9) for c in cars]
    r = evaluate([cars], [wrong])[0.5]["easy"]
    assert (r.ap11, r.ap40, len(r.thresholds)) == (0.0, 0.0, 0)
    assert (r.all_counts.tp[0], r.all_counts.fp[0], r.all_counts.fn[0]) == (0, 41, 41)


def test_one_top_scoring_false_positive_gives_41_over_42():
    # The FP counts at every threshold: precision k/(k+1) rises to 41/42, the
    # suffix max makes every point 41/42.
    cars = row_of_cars()
    fp = det((500, 250, 560, 300), 0.99)
    r = evaluate([cars], [perfect(cars) + [fp]])[0.7]["easy"]
    assert r.ap11 == pytest.approx(100 * 41 / 42)
    assert r.ap40 == pytest.approx(100 * 41 / 42)


def test_false_positive_inside_dontcare_is_not_counted():
    cars = row_of_cars()
    fp = det((500, 250, 560, 300), 0.99)
    dontcare = gt((490, 240, 600, 320), kind="DontCare", truncated=-1, occluded=-1)
    r = evaluate([cars + [dontcare]], [perfect(cars) + [fp]])[0.7]["easy"]
    assert (r.ap11, r.ap40) == (100.0, 100.0)
    assert r.counts.dontcare.tolist() == [1] * 41
    # half inside the region: 0.5 of its own area is not > 0.5, so it is an FP again
    half = gt((530, 240, 600, 320), kind="DontCare", truncated=-1, occluded=-1)
    r = evaluate([cars + [half]], [perfect(cars) + [fp]])[0.5]["easy"]
    assert r.ap40 == pytest.approx(100 * 41 / 42)


def test_detection_on_a_van_is_ignored_and_a_missed_van_is_no_fn():
    cars = row_of_cars()
    van = gt((500, 250, 560, 300), kind="Van")
    missed_van = gt((700, 250, 760, 300), kind="Van")
    on_van = det(van.bbox, 0.99)
    labelled_van = det((900, 250, 960, 300), 0.99, kind="Van")  # not the evaluated class
    r = evaluate([cars + [van, missed_van]], [perfect(cars) + [on_van, labelled_van]])[0.7]["easy"]
    assert (r.n_gt, r.n_ignored_gt, r.ap11, r.ap40) == (41, 2, 100.0, 100.0)


def test_truncated_car_is_ignored_when_easy_and_missed_when_moderate():
    cars = row_of_cars()
    truncated = gt((0, 200, 100, 260), truncated=0.3)  # > 0.15 (easy), <= 0.30 (moderate)
    res = evaluate([cars + [truncated]], [perfect(cars)])[0.7]
    assert (res["easy"].n_gt, res["easy"].ap40) == (41, 100.0)
    moderate = res["moderate"]
    assert moderate.n_gt == 42 and moderate.counts.fn[-1] == 1
    # getThresholds with 41 TP scores over 42 boxes keeps 40 of them (skips i=31):
    assert len(moderate.thresholds) == 40
    assert moderate.ap40 == pytest.approx(100 * 39 / 40)
    assert moderate.ap11 == pytest.approx(100 * 10 / 11)
    # detected, the truncated car absorbs its detection in easy: no FP
    with_det = evaluate([cars + [truncated]], [perfect(cars) + [det(truncated.bbox, 0.99)]])[0.7]
    assert with_det["easy"].ap40 == 100.0 and with_det["moderate"].ap40 == 100.0


def test_exact_duplicates_halve_precision():
    cars = row_of_cars()
    dets = [det(c.bbox, 0.9) for c in cars for _ in range(2)]
    r = evaluate([cars], [dets])[0.7]["easy"]
    assert (r.ap11, r.ap40) == (50.0, 50.0)


def test_higher_scoring_looser_duplicate_changes_the_match():
    # Thresholds come from the highest-scoring match (0.95, the loose duplicate);
    # the FP pass matches by greatest IoU, so at 0.9 the duplicate is an FP.
    cars = row_of_cars()
    loose = det((0, 100, 25, 140), 0.95)  # IoU 0.8 with car 0
    r = evaluate([cars], [[det(c.bbox, 0.9) for c in cars] + [loose]])[0.7]["easy"]
    assert r.thresholds.tolist() == [0.95] + [0.9] * 40
    assert r.precision[0] == 1.0 and r.precision[1:].tolist() == [41 / 42] * 40
    assert r.ap40 == pytest.approx(100 * 41 / 42)
    assert r.ap11 == pytest.approx(100 * (1 + 10 * 41 / 42) / 11)


def test_too_short_detection_is_ignored_below_the_level_minimum():
    cars = row_of_cars()
    short = det((500, 250, 560, 280), 0.99)  # 30 px: < 40 (easy), >= 25 (moderate)
    res = evaluate([cars], [perfect(cars) + [short]])[0.7]
    assert res["easy"].ap40 == 100.0
    assert res["easy"].counts.ignored_det.tolist() == [1] * 41
    assert res["moderate"].ap40 == pytest.approx(100 * 41 / 42)


def test_height_boundary_40px_car_is_not_easy():
    # height <= 40 is ignored for easy (official cpp); exactly 40 px is moderate.
    cars = row_of_cars()
    boundary = gt((0, 200, 60, 240))
    res = evaluate([cars + [boundary]], [perfect(cars)])[0.7]
    assert res["easy"].n_gt == 41 and res["moderate"].n_gt == 42
    # a detection exactly 40 px tall is kept (ignored only when < 40)
    found = evaluate([cars + [boundary]], [perfect(cars) + [det(boundary.bbox, 0.99)]])[0.7]
    assert found["moderate"].ap40 == 100.0 and found["easy"].counts.ignored_det[0] == 0


def test_no_ground_truth_gives_zero_and_max_reachable_grows_to_100():
    r = evaluate([[]], [[det((0, 0, 50, 50), 0.5)]])[0.5]["easy"]
    assert (r.n_gt, r.ap11, r.ap40) == (0, 0.0, 0.0)
    assert devkit.max_reachable_ap(0) == (0.0, 0.0)
    assert devkit.max_reachable_ap(38) == pytest.approx((100 * 10 / 11, 92.5))
    assert devkit.max_reachable_ap(40) == pytest.approx((100 * 10 / 11, 97.5))
    for n in (41, 42, 57, 99, 1000):
        assert devkit.max_reachable_ap(n) == (100.0, 100.0)


# ---------------------------------------------------------------------------
# Against the literal port, on random cases built to hit every branch
# ---------------------------------------------------------------------------

def random_case(rng: np.random.Generator):
    heights = [20, 24, 25, 26, 30, 39, 40, 41, 60, 90]
    frames_gt, frames_det = [], []
    for _ in range(int(rng.integers(1, 6))):
        gts = []
        for _ in range(int(rng.integers(0, 7))):
            kind = rng.choice(["Car", "Car", "Car", "Car", "Van", "Pedestrian", "DontCare", "Truck"])
            left, top = int(rng.integers(0, 120)), int(rng.integers(0, 60))
            box = (left, top, left + int(rng.integers(5, 70)), top + int(rng.choice(heights)))
            gts.append(gt(box, kind, truncated=float(rng.choice([0.0, 0.15, 0.16, 0.3, 0.31, 0.5, 0.51])),
                          occluded=int(rng.integers(0, 4))))
        dets = []
        for _ in range(int(rng.integers(0, 9))):
            kind = rng.choice(["Car"] * 6 + ["Van", "Pedestrian"])
            if gts and rng.random() < 0.7:
                base = gts[int(rng.integers(len(gts)))].bbox
                box = tuple(v + int(rng.integers(-6, 7)) for v in base)
                box = (box[0], box[1], max(box[0], box[2]), max(box[1], box[3]))
            else:
                left, top = int(rng.integers(0, 120)), int(rng.integers(0, 60))
                box = (left, top, left + int(rng.integers(5, 70)), top + int(rng.choice(heights)))
            dets.append(det(box, float(rng.integers(0, 10)) / 10, kind))  # ties on purpose
        frames_gt.append(gts)
        frames_det.append(dets)
    return frames_gt, frames_det


@pytest.mark.parametrize("seed", range(300))
def test_equals_literal_devkit_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    gts, dets = random_case(rng)
    res = evaluate(gts, dets)
    for iou in (0.5, 0.7):
        for level in devkit.LEVELS:
            thresholds, tp, fp, fn, precision = ref_eval_class(gts, dets, level, iou)
            r = res[iou][level.name]
            assert r.thresholds.tolist() == thresholds
            assert r.counts.tp.tolist() == tp
            assert r.counts.fp.tolist() == fp
            assert r.counts.fn.tolist() == fn
            assert r.precision.tolist() == precision


# ---------------------------------------------------------------------------
# Against pycocotools, where the two definitions coincide
# ---------------------------------------------------------------------------

def test_precision_curve_matches_pycocotools_without_ignore_regions():
    """40 easy cars, no Van/DontCare/short boxes, no det overlapping two cars, duplicates
    looser and lower-scoring than their car's main detection, no IoU near 0.5: KITTI's
    precision at its i-th threshold equals COCO's interpolated precision at recall (i+1)/40."""
    rng = np.random.default_rng(3)
    gts, dets, coco_gt, coco_dt = [], [], [], []
    for image in range(8):
        frame_gt, frame_det = [], []
        for k in range(5):
            left = 200 * k
            car = gt((left, 100, left + 80, 160))
            frame_gt.append(car)
            if rng.random() < 0.85:  # main detection, IoU 1 - shift/80 >= 0.8
                shift = int(rng.integers(0, 16))
                frame_det.append(det((left + shift, 100, left + 80 + shift, 160), float(rng.random())))
                if rng.random() < 0.3:  # looser, lower-scoring duplicate: IoU ~0.6
                    frame_det.append(det((left + 20, 100, left + 100, 160), frame_det[-1].score * 0.5))
            if rng.random() < 0.5:  # false positive far below every car
                frame_det.append(det((left, 250, left + 80, 310), float(rng.random())))
        gts.append(frame_gt)
        dets.append(frame_det)
        for c in frame_gt:
            l, t, r, b = c.bbox
            coco_gt.append({"id": len(coco_gt) + 1, "image_id": image, "category_id": 1, "iscrowd": 0,
                            "bbox": [l, t, r - l, b - t], "area": (r - l) * (b - t)})
        for d in frame_det:
            l, t, r, b = d.bbox
            coco_dt.append({"image_id": image, "category_id": 1, "bbox": [l, t, r - l, b - t], "score": d.score})

    r = evaluate(gts, dets)[0.5]["easy"]
    assert r.n_gt == 40
    n_tp = int(r.counts.tp.max())
    assert 25 < n_tp < 40

    ground = COCO()
    ground.dataset = {"images": [{"id": i, "width": 1242, "height": 375} for i in range(8)],
                      "annotations": coco_gt, "categories": [{"id": 1, "name": "Car"}]}
    with contextlib.redirect_stdout(io.StringIO()):
        ground.createIndex()
        found = ground.loadRes(coco_dt)
        ev = COCOeval(ground, found, "bbox")
        ev.params.iouThrs = np.array([0.5])
        ev.evaluate()
        ev.accumulate()
    coco_precision = ev.eval["precision"][0, :, 0, 0, -1]  # 101 recall points, all areas, 100 dets
    for i in range(40):
        # COCO's recall point just below (i+1)/40 selects the same, (i+1)-th, true positive
        k = math.ceil(2.5 * (i + 1)) - 1
        expected = r.precision[i] if i < n_tp else 0.0
        assert coco_precision[k] == pytest.approx(expected, abs=1e-12), i


# ---------------------------------------------------------------------------
# Predictions equal to the ground truth on the real kitti-mini labels
# ---------------------------------------------------------------------------

def ground_truth_as_predictions(root, frames):
    label_dir = root / "training" / "label_2"
    gts = [read_labels(label_dir / f"{f}.txt") for f in frames]
    dets = [[KittiObject(type="Car", bbox=o.bbox, score=1.0) for o in objs if o.type == "Car"] for objs in gts]
    return gts, dets


def test_ground_truth_as_predictions_scores_100_on_all_frames():
    root = data_root()
    gts, dets = ground_truth_as_predictions(root, split_frames(root, "all"))
    res = evaluate(gts, dets)
    assert res[0.7]["easy"].n_gt == 79 and res[0.7]["moderate"].n_gt == 185
    for iou in res:
        for level, r in res[iou].items():
            assert (r.ap11, r.ap40) == (100.0, 100.0), (iou, level)


def test_ground_truth_as_predictions_on_real_test_hits_the_38_box_ceiling():
    root = data_root()
    gts, dets = ground_truth_as_predictions(root, split_frames(root, "real-test"))
    easy = evaluate(gts, dets)[0.7]["easy"]
    assert easy.n_gt == 38
    assert easy.ap40 == pytest.approx(92.5)
    assert easy.ap11 == pytest.approx(100 * 10 / 11)
    assert round(easy.ap11, 1) == 90.9
