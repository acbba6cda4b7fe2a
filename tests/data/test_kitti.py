"""KITTI label files: every field and class survive a round trip; bad lines name file and line."""

from __future__ import annotations

import pytest

from drbench.data.kitti import CLASSES, KittiObject, LabelError, parse_line, read_labels, write_labels
from drbench.paths import DataRootError, kitti_root


def full_object(kind: str, score: float | None = None) -> KittiObject:
    return KittiObject(type=kind, truncated=0.37, occluded=2, alpha=-1.57, bbox=(12.5, 170.25, 300.75, 374.0),
                       dimensions=(1.52, 1.63, 3.88), location=(-2.41, 1.71, 12.06), rotation_y=1.23,
                       score=score)


@pytest.mark.parametrize("kind", CLASSES)
def test_every_class_round_trips_all_15_fields(kind):
    obj = full_object(kind)
    line = obj.to_line()
    assert len(line.split()) == 15
    assert parse_line(line) == obj


def test_detection_round_trips_16_fields_with_score():
    obj = full_object("Car", score=0.8731)
    assert len(obj.to_line().split()) == 16
    assert parse_line(obj.to_line()) == obj


def test_file_round_trip_keeps_order_and_skips_blank_lines(tmp_path):
    objects = [full_object(kind) for kind in CLASSES] + [full_object("Car", score=0.5)]
    path = write_labels(tmp_path / "000001.txt", objects)
    assert read_labels(path) == objects
    path.write_text("\n" + path.read_text() + "\n\n")
    assert read_labels(path) == objects
    assert read_labels(write_labels(tmp_path / "empty.txt", [])) == []


def test_real_label_file_round_trips(tmp_path):
    try:
        root = kitti_root()
    except DataRootError as exc:
        pytest.skip(f"kitti-mini not found: {exc}")
    for frame in ("000000", "000050", "000100"):
        objects = read_labels(root / "training" / "label_2" / f"{frame}.txt")
        assert objects and all(o.score is None for o in objects)
        assert read_labels(write_labels(tmp_path / f"{frame}.txt", objects)) == objects


GOOD = "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59"


@pytest.mark.parametrize("bad, reason", [
    ("Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71", "expected 15 or 16 fields"),
    (GOOD + " 0.9 7", "expected 15 or 16 fields"),
    (GOOD.replace("Car", "Bus"), "unknown class"),
    (GOOD.replace("587.01", "abc"), "non-numeric"),
    (GOOD.replace("587.01", "nan"), "NaN or infinite"),
    (GOOD.replace("614.12", "500.00"), "right<left"),
    (GOOD.replace(" 0 -1.58", " 1.5 -1.58"), "occluded must be an integer"),
    (GOOD.replace(" 0 -1.58", " 4 -1.58"), "occluded must be an integer"),
])
def test_malformed_line_raises_with_file_and_line_number(tmp_path, bad, reason):
    path = tmp_path / "000007.txt"
    path.write_text(f"{GOOD}\n\n{bad}\n")
    with pytest.raises(LabelError) as caught:
        read_labels(path)
    assert f"{path}:3:" in str(caught.value)
    assert reason in str(caught.value)
