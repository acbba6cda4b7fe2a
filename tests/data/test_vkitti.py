"""Virtual KITTI 1.3.1 and 2.x trees (real PNG/JPG files, real ground-truth text) read into KITTI records."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from drbench.data.coco import kitti_to_coco
from drbench.data.kitti import KittiObject, LabelError, parse_line, read_labels
from drbench.data.vkitti import (
    BBOX_COLUMNS, INFO_COLUMNS, MOTGT_COLUMNS, POSE_COLUMNS, detect_layout, occluded_from_occupancy,
    read_vkitti, to_kitti_layout,
)

# Rows 0-4 of 0001_clone.txt as published (frame 0); a Van row on frame 2 added.
MOTGT_ROWS = [
    "0 0 Car 1 1 -1.996793 774 169 1241 374 1.85 1.50992 4.930564 2.904048 1.4341 6.406569 "
    "-1.571205 0.001540535 -0.07224254 0.0815268 0.7891262 Car 0 Sedan4Door Black",
    "0 1 DontCare 0 2 -1.796513 722 186 866 281 1.612032 1.404795 3.772344 3.008632 1.41593 "
    "13.15864 -1.571733 0.001502285 -0.07224336 0 0.3971491 Car 0 Hatchback Black",
    "0 2 Car 0 1 -1.654058 696 185 771 246 1.567278 1.413269 3.158158 2.956055 1.410106 19.29135 "
    "-1.502008 0.006540446 -0.07196286 0 0.4609836 Car 0 Hybrid Black",
    "2 7 Van 0 0 1.5 10 20 110 90 1.9 2.1 4.8 -3 1.6 12 1.4 0 0 0.25 0.95 Van 1 Van White",
]
# bbox.txt rows as the 2.x readme sample writes them (left right top bottom; isMoving True/False).
BBOX_ROWS = [
    "0 0 0 988 1241 159 374 41767 0.4230517 0.7678463 False",
    "0 1 0 980 1233 159 374 41000 0.41 0.76 False",  # the right camera: not read for camera 0
    "0 0 1 927 1102 171 275 7168 0 0.3938462 False",
    "1 0 3 591 666 187 239 2311 0 0.9 True",
]
INFO_ROWS = ["0 Car Sedan4Door Black", "1 Van Hatchback Black", "3 Truck SUV Red"]
POSE_ROWS = ["0 0 0 -1.2 1.8 1.5 4.5 0 0 0 0 0 0 2.9 1.4 6.4 -1.57 0 0"]


def image(path, width=1242, height=375, fmt=None):
    """A real small-ish image: a gradient with a dark box, saved as PNG or JPEG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[..., 0] = np.linspace(40, 200, width, dtype=np.uint8)
    pixels[height // 2:, width // 3: width // 2] = (20, 20, 30)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def text(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(" ".join(header) + "\n" + "".join(row + "\n" for row in rows))
    return path


def vkitti1(root, rows=MOTGT_ROWS):
    for frame in range(3):
        image(root / "vkitti_1.3.1_rgb" / "0001" / "clone" / f"{frame:05d}.png")
    image(root / "vkitti_1.3.1_rgb" / "0001" / "fog" / "00000.png")
    text(root / "vkitti_1.3.1_motgt" / "0001_clone.txt", MOTGT_COLUMNS, rows)
    text(root / "vkitti_1.3.1_motgt" / "0001_fog.txt", MOTGT_COLUMNS, rows[:1])
    return root


def vkitti2(root, side_by_side=False, bbox_rows=BBOX_ROWS, info_rows=INFO_ROWS):
    rgb, gt = (root / "vkitti_2.0.3_rgb", root / "vkitti_2.0.3_textgt") if side_by_side else (root, root)
    for camera in (0, 1):
        for frame in range(2):
            image(rgb / "Scene01" / "clone" / "frames" / "rgb" / f"Camera_{camera}" / f"rgb_{frame:05d}.jpg")
    seq = gt / "Scene01" / "clone"
    text(seq / "bbox.txt", BBOX_COLUMNS, bbox_rows)
    text(seq / "info.txt", INFO_COLUMNS, info_rows)
    text(seq / "pose.txt", POSE_COLUMNS, POSE_ROWS)
    return root


def test_vkitti1_rows_become_kitti_records(tmp_path):
    frames = read_vkitti(vkitti1(tmp_path))
    assert [f.frame_id for f in frames] == ["0001_clone_00000", "0001_clone_00001", "0001_clone_00002",
                                            "0001_fog_00000"]
    car, dontcare, car2 = frames[0].objects
    assert car == KittiObject(type="Car", truncated=0.0815268, occluded=1, alpha=-1.996793,
                              bbox=(774, 169, 1241, 374), dimensions=(1.50992, 1.85, 4.930564),
                              location=(2.904048, 1.4341, 6.406569), rotation_y=-1.571205)
    assert (dontcare.type, dontcare.occluded, dontcare.truncated) == ("DontCare", 2, 0.0)
    assert car2.bbox == (696, 185, 771, 246)
    assert frames[1].objects == [], "a frame without ground-truth lines has no objects"
    assert [(o.type, o.truncated, o.occluded) for o in frames[2].objects] == [("Van", 0.25, 0)]
    assert [f.frame_id for f in read_vkitti(tmp_path, variations=["fog"])] == ["0001_fog_00000"]


@pytest.mark.parametrize("side_by_side", [False, True])
def test_vkitti2_rows_become_kitti_records(tmp_path, side_by_side):
    vkitti2(tmp_path, side_by_side)
    assert detect_layout(tmp_path).version == "2"
    frames = read_vkitti(tmp_path)
    assert [f.frame_id for f in frames] == ["Scene01_clone_00000", "Scene01_clone_00001"]
    assert all("Camera_0" in str(f.image) for f in frames)
    car, van = frames[0].objects  # the Camera_1 row is not read
    assert car == KittiObject(type="Car", truncated=0.4230517, occluded=1, alpha=-1.2,
                              bbox=(988, 159, 1241, 374), dimensions=(1.5, 1.8, 4.5),
                              location=(2.9, 1.4, 6.4), rotation_y=-1.57)
    assert (van.type, van.bbox, van.occluded, van.alpha) == ("Van", (927, 171, 1102, 275), 2, -10.0)
    (truck,) = frames[1].objects
    assert (truck.type, truck.occluded) == ("Truck", 0)
    assert [f.image.name for f in read_vkitti(tmp_path, camera=1)] == ["rgb_00000.jpg", "rgb_00001.jpg"]


def test_occlusion_buckets_agree_with_vkitti1_published_flags():
    """(visible fraction, occlusion flag) pairs from the published 0001_clone.txt rows."""
    published = [(0.7891262, 1), (0.3971491, 2), (0.4609836, 1), (0.5759091, 1), (0.5551515, 1),
                 (0.452957, 1), (0.347619, 2), (0.4718196, 1), (0.1624714, 2), (0.2633333, 2),
                 (0.6277778, 1), (0.3957529, 2), (0.09447415, 2), (0.5722222, 1), (0.07142857, 2),
                 (0.6892385, 1)]
    assert [occluded_from_occupancy(v) for v, _ in published] == [flag for _, flag in published]
    assert occluded_from_occupancy(1.0) == 0 and occluded_from_occupancy(0.0) == 2


@pytest.mark.parametrize("build, n_links", [(vkitti1, 4), (vkitti2, 0)])
def test_kitti_layout_feeds_the_coco_conversion_and_resumes(tmp_path, build, n_links):
    source = build(tmp_path / "vkitti")
    out = tmp_path / "kitti"
    summary = to_kitti_layout(source, out)
    frames = read_vkitti(source)
    assert summary["n_images"] == len(frames) and len(list((out / "image_2").iterdir())) == len(frames)
    assert sum(p.is_symlink() for p in (out / "image_2").iterdir()) == n_links, "PNGs linked, JPGs re-encoded"
    for frame in frames:
        written = read_labels(out / "label_2" / f"{frame.frame_id}.txt")
        assert written == [parse_line(o.to_line()) for o in frame.objects]
    coco = kitti_to_coco(out)
    assert [(im["width"], im["height"]) for im in coco["images"]] == [(1242, 375)] * len(frames)
    positives = [a for a in coco["annotations"] if not a["iscrowd"]]
    assert positives and all(a["kitti_type"] == "Car" for a in positives)
    assert json.loads((out / "manifest.json").read_text())["frames"] == [f.frame_id for f in frames]
    assert to_kitti_layout(source, out) == summary  # a re-run finds everything in place


def test_n_images_spreads_over_all_videos(tmp_path):
    summary = to_kitti_layout(vkitti1(tmp_path / "vkitti"), tmp_path / "kitti", n_images=2)
    assert summary["n_images"] == 2
    assert sorted(p.stem for p in (tmp_path / "kitti" / "label_2").iterdir()) == [
        "0001_clone_00000", "0001_fog_00000"]


BAD_MOTGT = MOTGT_ROWS[0]


@pytest.mark.parametrize("row, reason", [
    (BAD_MOTGT.rsplit(" ", 1)[0], "expected 25 fields, got 24"),
    (BAD_MOTGT.replace(" Car 1 1 ", " Bus 1 1 ", 1), "unknown class 'Bus'"),
    (BAD_MOTGT.replace("774", "abc"), "l must be a number, got 'abc'"),
    (BAD_MOTGT.replace("774", "nan"), "l is NaN or infinite"),
    (BAD_MOTGT.replace("1241", "700"), "box has right<left"),
    (BAD_MOTGT.replace("0.0815268", "1.5"), r"truncr must lie in \[0, 1\]"),
    (BAD_MOTGT.replace(" Car 1 1 ", " Car 1 x ", 1), "occluded must be an integer"),
])
def test_malformed_motgt_names_file_and_line(tmp_path, row, reason):
    vkitti1(tmp_path, rows=[MOTGT_ROWS[1], row])
    with pytest.raises(LabelError, match=rf"0001_clone\.txt:3: {reason}"):
        read_vkitti(tmp_path)


@pytest.mark.parametrize("bbox_rows, info_rows, where, reason", [
    (["0 0 9 1 2 3 4 5 0 1 False"], INFO_ROWS, "bbox.txt:2", "track 9 has no class in .*info.txt"),
    (["0 0 0 1 2 3 4 5 0 1 Maybe"], INFO_ROWS, "bbox.txt:2", "isMoving must be"),
    (["0 0 0 1 2 3 4 5 0 1.2 False"], INFO_ROWS, "bbox.txt:2", r"occupancy_ratio must lie in \[0, 1\]"),
    (["0 0 0 5 2 3 4 5 0 1 False"], INFO_ROWS, "bbox.txt:2", "box has right<left"),
    (BBOX_ROWS, ["0 Car Sedan"], "info.txt:2", "expected 4 fields, got 3"),
    (BBOX_ROWS, ["0 Tank Sedan Black"], "info.txt:2", "unknown class 'Tank'"),
])
def test_malformed_textgt_names_file_and_line(tmp_path, bbox_rows, info_rows, where, reason):
    vkitti2(tmp_path, bbox_rows=bbox_rows, info_rows=info_rows)
    with pytest.raises(LabelError, match=rf"{where}: {reason}"):
        read_vkitti(tmp_path)


def test_wrong_header_missing_files_and_foreign_folders_are_named(tmp_path):
    root = vkitti1(tmp_path / "a")
    (root / "vkitti_1.3.1_motgt" / "0001_clone.txt").write_text("frame tid label\n0 0 Car\n")
    with pytest.raises(LabelError, match=r"0001_clone\.txt:1: expected the header 'frame tid label truncated"):
        read_vkitti(root)
    (root / "vkitti_1.3.1_motgt" / "0001_clone.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"0001_clone\.txt: ground truth file is missing"):
        read_vkitti(root)

    root = vkitti2(tmp_path / "b", side_by_side=True)
    for path in (root / "vkitti_2.0.3_textgt").rglob("bbox.txt"):
        path.unlink()
    with pytest.raises(FileNotFoundError, match="no .*bbox.txt \\(unpack the textgt archive\\)"):
        detect_layout(root)

    image(tmp_path / "c" / "training" / "image_2" / "000000.png", 8, 8)
    with pytest.raises(FileNotFoundError, match="is not a Virtual KITTI folder"):
        detect_layout(tmp_path / "c")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        detect_layout(tmp_path / "nowhere")
