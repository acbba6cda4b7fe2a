"""COCO conversion of real kitti-mini frames and of flat (synthetic-style) data folders."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from drbench.data.coco import frame_dirs, kitti_to_coco, png_size, write_coco, write_coco_for_dirs
from drbench.data.kitti import KittiObject, read_labels, write_labels
from drbench.data.splits import SPLITS


@pytest.fixture(scope="module")
def real_test(root):
    return kitti_to_coco(root, SPLITS["real-test"], level="easy")


def test_image_sizes_come_from_the_png_header(root, real_test):
    assert len(real_test["images"]) == 51
    for image in real_test["images"][:5]:
        with Image.open(image["file_name"]) as decoded:
            assert (image["width"], image["height"]) == decoded.size
    assert {im["frame"] for im in real_test["images"]} == set(SPLITS["real-test"])
    assert len({im["id"] for im in real_test["images"]}) == 51


def test_positives_are_the_devkit_level_and_the_rest_is_ignored(real_test):
    anns = real_test["annotations"]
    positives = [a for a in anns if not a["iscrowd"]]
    assert len(positives) == 38  # easy cars on real-test, as the devkit counts them
    assert all(a["kitti_type"] == "Car" and a["ignore_flag"] == 0 for a in positives)
    ignored = [a for a in anns if a["iscrowd"]]
    assert all(a["ignore_flag"] == 1 for a in ignored)
    assert {a["kitti_type"] for a in ignored} == {"Car", "Van", "DontCare"}
    assert real_test["categories"] == [{"id": 1, "name": "Car"}]


def test_boxes_are_xywh_with_area(root, real_test):
    image = next(im for im in real_test["images"] if im["frame"] == "000050")
    anns = [a for a in real_test["annotations"] if a["image_id"] == image["id"]]
    labels = [o for o in read_labels(root / "training" / "label_2" / "000050.txt")
              if o.type in ("Car", "Van", "DontCare")]
    assert len(anns) == len(labels)
    for ann, obj in zip(anns, labels):
        left, top, right, bottom = obj.bbox
        assert ann["bbox"] == pytest.approx([left, top, right - left, bottom - top])
        assert ann["area"] == pytest.approx((right - left) * (bottom - top))


def test_level_choice_changes_only_the_ignore_flags(root):
    frames = SPLITS["real-test"]
    hard = kitti_to_coco(root, frames)  # default level: hard
    every = kitti_to_coco(root, frames, level=None)
    assert len(hard["annotations"]) == len(every["annotations"])
    assert sum(not a["iscrowd"] for a in hard["annotations"]) == 119
    assert sum(not a["iscrowd"] for a in every["annotations"]) == sum(
        o.type == "Car" for f in frames for o in read_labels(root / "training" / "label_2" / f"{f}.txt"))
    with pytest.raises(KeyError, match="unknown level"):
        kitti_to_coco(root, frames, level="medium")


def test_written_file_loads_in_pycocotools(root, tmp_path):
    from pycocotools.coco import COCO

    path = write_coco(tmp_path / "ann.json", root, SPLITS["real-train"][:10])
    coco = COCO(str(path))
    assert len(coco.getImgIds()) == 10
    assert coco.getCatIds(catNms=["Car"]) == [1]
    assert json.loads(path.read_text())["info"]["level"] == "hard"


def flat_folder(root, path, frames, labels):
    """A synthetic-style folder: image_2/ (links to real PNGs) and label_2/, no training/."""
    (path / "image_2").mkdir(parents=True)
    for frame in frames:
        (path / "image_2" / f"{frame}.png").symlink_to(root / "training" / "image_2" / f"{frame}.png")
        write_labels(path / "label_2" / f"{frame}.txt", labels)
    return path


def test_flat_folder_and_several_folders_get_unique_ids(root, tmp_path):
    car = KittiObject("Car", (100.0, 150.0, 220.0, 230.0))
    synthetic = flat_folder(root, tmp_path / "dr", ["000000", "000001", "000002"], [car, car])
    assert frame_dirs(synthetic) == (synthetic / "image_2", synthetic / "label_2")
    assert frame_dirs(root) == (root / "training" / "image_2", root / "training" / "label_2")
    one = kitti_to_coco(synthetic)
    assert [im["frame"] for im in one["images"]] == ["000000", "000001", "000002"]
    assert len(one["annotations"]) == 6 and not any(a["iscrowd"] for a in one["annotations"])

    path = write_coco_for_dirs(tmp_path / "both.json", [synthetic, root],
                               frames={root: SPLITS["real-train"][:4]})
    both = json.loads(path.read_text())
    assert len(both["images"]) == 7
    assert len({im["id"] for im in both["images"]}) == 7
    assert len({a["id"] for a in both["annotations"]}) == len(both["annotations"])
    assert {a["image_id"] for a in both["annotations"]} <= {im["id"] for im in both["images"]}
    with pytest.raises(KeyError, match="not in the data"):
        write_coco_for_dirs(tmp_path / "x.json", [synthetic], frames={root: ["000000"]})


def test_missing_folder_missing_image_and_non_png(root, tmp_path):
    with pytest.raises(FileNotFoundError, match="label_2"):
        frame_dirs(tmp_path)
    folder = flat_folder(root, tmp_path / "dr", ["000000"], [])
    write_labels(folder / "label_2" / "000009.txt", [])
    with pytest.raises(FileNotFoundError, match="000009.png"):
        kitti_to_coco(folder)
    (folder / "not_png.png").write_bytes(b"\xff\xd8\xff\xe0" + bytes(30))
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(folder / "not_png.png")
