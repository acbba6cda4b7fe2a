"""drbench.evaluate.errors on real kitti-mini ground truth: predictions are the real-test
labels themselves (every car found exactly), then one controlled edit each, and the
breakdown must find exactly that error, at the right levels, and its oracle must
restore the perfect AP."""

from __future__ import annotations

import pytest

from drbench.data.kitti import KittiObject, read_labels
from drbench.data.levels import LEVELS
from drbench.data.splits import split_frames
from drbench.evaluate.errors import ERRORS, NO_COST, breakdown, level_breakdown
from drbench.evaluate.report import evaluate_dirs

FRAME = "000053"  # six cars (one partly, one largely occluded), a van over the right half, DontCare
OTHER = "000099"  # seven cars, two vans, a DontCare region 40.7 px tall
SKY = (20.0, 10.0, 120.0, 60.0)  # top left of 000053: no object near it
EASY, MODERATE = LEVELS[0], LEVELS[1]


@pytest.fixture(scope="module")
def real_test(root):
    """Real-test ground truth and, as predictions, every car's exact box with a distinct score."""
    frames = split_frames(root, "real-test")
    gts = [read_labels(root / "training" / "label_2" / f"{f}.txt") for f in frames]
    score = iter(range(9_000, 0, -1))  # 0.9000, 0.8999, ...: written exactly with 4 decimals
    dets = [[KittiObject("Car", o.bbox, score=next(score) / 10_000) for o in objs if o.type == "Car"]
            for objs in gts]
    return frames, gts, dets


def box_of(gts, frames, frame: str, kind: str, nth: int = 0) -> tuple:
    return [o for o in gts[frames.index(frame)] if o.type == kind][nth].bbox


def edited(real_test, frame: str, edit) -> list[list[KittiObject]]:
    """The exact predictions with ``edit(detections of frame)`` applied to one frame."""
    frames, _, dets = real_test
    out = [list(d) for d in dets]
    out[frames.index(frame)] = edit(out[frames.index(frame)])
    return out


def errors_of(cell: dict) -> dict:
    """Every error type, and boxes on vans or DontCare, with a non-zero count (the exact boxes of
    cars outside the level are counted as such, and cost nothing)."""
    counts = {k: v["count"] for k, v in {**cell["errors"], **cell["no_cost"]}.items()
              if k in ERRORS or k in ("van", "dontcare")}
    return {k: v for k, v in counts.items() if v}


def shifted(box: tuple, widths: float) -> tuple:
    left, top, right, bottom = box
    dx = widths * (right - left)
    return (left + dx, top, right + dx, bottom)


def test_the_exact_boxes_make_no_error_and_reach_the_devkits_maximum(real_test):
    _, gts, dets = real_test
    for iou, levels in breakdown(gts, dets).items():
        for level, cell in levels.items():
            assert errors_of(cell) == {}, (iou, level)
            assert cell["ap40"] == cell["ap40_all_fixed"] == cell["max_reachable_ap40"]
            assert all(e["dap40"] == 0 for e in cell["errors"].values())
            assert cell["operating_point"]["fp_per_image"] == 0


def test_a_box_shifted_to_iou_0_3_is_one_localization_error_not_a_miss(real_test):
    frames, gts, _ = real_test
    car = box_of(gts, frames, FRAME, "Car", 1)  # 707-834 px wide, easy
    dets = edited(real_test, FRAME, lambda d: [KittiObject("Car", shifted(car, 0.54), score=x.score)
                                               if x.bbox == car else x for x in d])
    for iou in (0.5, 0.7):
        cell = level_breakdown(gts, dets, EASY, iou)
        assert errors_of(cell) == {"localization": 1}
        assert cell["errors"]["localization"]["at_operating_point"] == 1
        assert cell["ap40"] < cell["max_reachable_ap40"]
        assert cell["ap40"] + cell["errors"]["localization"]["dap40"] == cell["max_reachable_ap40"]


def test_a_lower_scoring_copy_of_a_found_car_is_one_duplicate(real_test):
    frames, gts, _ = real_test
    car = box_of(gts, frames, FRAME, "Car", 0)
    dets = edited(real_test, FRAME, lambda d: d + [KittiObject("Car", car, score=0.5)])
    cell = level_breakdown(gts, dets, EASY, 0.7)
    assert errors_of(cell) == {"duplicate": 1}
    assert cell["ap40_all_fixed"] == cell["ap40"] + cell["errors"]["duplicate"]["dap40"] == cell["max_reachable_ap40"]


def test_a_confident_box_in_the_sky_is_one_background_false_positive(real_test):
    dets = edited(real_test, FRAME, lambda d: [KittiObject("Car", SKY, score=0.95)] + d)
    _, gts, _ = real_test
    for level in LEVELS:
        cell = level_breakdown(gts, dets, level, 0.5)
        assert errors_of(cell) == {"background": 1}
        assert cell["errors"]["background"]["dap40"] > 0
        assert cell["ap40"] + cell["errors"]["background"]["dap40"] == cell["max_reachable_ap40"]
        assert cell["operating_point"]["fp"] == 1 and cell["operating_point"]["fp_per_image"] == 1 / 51


def test_a_left_out_partly_occluded_car_is_missed_at_moderate_and_costs_nothing_at_easy(real_test):
    frames, gts, _ = real_test
    car = box_of(gts, frames, FRAME, "Car", 3)  # occluded 1, 40.8 px tall, not truncated
    dets = edited(real_test, FRAME, lambda d: [x for x in d if x.bbox != car])
    assert errors_of(level_breakdown(gts, dets, EASY, 0.5)) == {}
    cell = level_breakdown(gts, dets, MODERATE, 0.5)
    assert errors_of(cell) == {"missed": 1}
    missed = cell["errors"]["missed"]
    assert missed["by_occlusion"] == {"fully visible": 0, "partly occluded": 1, "largely occluded": 0}
    assert missed["by_height"] == {"<= 40 px": 0, "40-80 px": 1, "> 80 px": 0}
    assert missed["by_truncation"] == {"<= 0.15": 1, "0.15-0.30": 0, "0.30-0.50": 0}
    assert cell["ap40"] + missed["dap40"] == cell["max_reachable_ap40"] == 100.0


def test_boxes_on_a_dontcare_region_and_a_van_are_counted_and_cost_nothing(real_test):
    frames, gts, _ = real_test
    dontcare, van = box_of(gts, frames, OTHER, "DontCare", 2), box_of(gts, frames, OTHER, "Van", 0)
    dets = edited(real_test, OTHER, lambda d: [KittiObject("Car", dontcare, score=0.97),
                                               KittiObject("Car", van, score=0.96)] + d)
    cell = level_breakdown(gts, dets, EASY, 0.5)
    assert errors_of(cell) == {"dontcare": 1, "van": 1}
    assert cell["no_cost"]["dontcare"]["at_operating_point"] == 1
    assert cell["ap40"] == cell["max_reachable_ap40"]


def test_all_edits_together_are_found_each_and_fixing_all_gives_the_perfect_ap(real_test):
    frames, gts, _ = real_test
    cars = [box_of(gts, frames, FRAME, "Car", n) for n in range(4)]

    def edit(d):
        d = [KittiObject("Car", shifted(cars[1], 0.54), score=x.score) if x.bbox == cars[1] else x
             for x in d if x.bbox != cars[3]]
        return [KittiObject("Car", SKY, score=0.95)] + d + [KittiObject("Car", cars[0], score=0.5)]

    dets = edited(real_test, FRAME, edit)
    result = breakdown(gts, dets)
    assert errors_of(result["0.5"]["easy"]) == {"background": 1, "localization": 1, "duplicate": 1}
    assert errors_of(result["0.5"]["moderate"]) == {"background": 1, "localization": 1, "duplicate": 1,
                                                    "missed": 1}
    for levels in result.values():
        for cell in levels.values():
            assert cell["ap40"] < cell["max_reachable_ap40"] == cell["ap40_all_fixed"]
            assert set(cell["errors"]) == set(ERRORS) and set(cell["no_cost"]) == set(NO_COST)


def test_the_operating_point_is_the_evaluators(real_test, root, tmp_path):
    """Counts at the operating point agree with eval.json's best-F1 counts."""
    frames, gts, _ = real_test
    dets = edited(real_test, FRAME, lambda d: [KittiObject("Car", SKY, score=0.95)] + d[1:])
    for frame, objs in zip(frames, dets):
        (tmp_path / f"{frame}.txt").write_text("".join(o.to_line() + "\n" for o in objs))
    with pytest.warns(UserWarning):  # the reachable-AP cap of real-test
        report = evaluate_dirs(root, tmp_path, split="real-test", bootstrap=1)
    cell = level_breakdown(gts, dets, EASY, 0.5)
    counts = report["results"]["0.5"]["easy"]["counts"]
    assert cell["operating_point"]["score_threshold"] == counts["score_threshold"]
    assert (cell["operating_point"]["tp"], cell["operating_point"]["fp"]) == (counts["tp"], counts["fp"])
    assert cell["true_positives"]["at_operating_point"] == counts["tp"]
