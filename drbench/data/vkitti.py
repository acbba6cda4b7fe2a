"""Virtual KITTI (1.3.1 and 2.x) read into KITTI label records and written out as a KITTI-layout folder.

The synthetic-only protocol trains on Virtual KITTI beside DR, so its ground
truth must become the same :class:`~drbench.data.kitti.KittiObject` records
(and the same ``image_2``/``label_2`` folders) that DR data and real KITTI use.

Formats, as checked against public copies of the datasets' readmes and parsers:

* 1.3.1 -- ``vkitti_1.3.1_rgb/<world>/<variation>/%05d.png`` and one file per
  video, ``vkitti_1.3.1_motgt/<world>_<variation>.txt``, space separated with a
  header line ``frame tid label truncated occluded alpha l t r b w3d h3d l3d x3d
  y3d z3d ry rx rz truncr occupr orig_label moving model color``. ``truncated``
  and ``occluded`` are KITTI-like flags (0/1/2, 2 = marked ``DontCare``), boxes
  are inclusive pixels, ``truncr`` the truncation ratio and ``occupr`` the
  visible fraction, both in [0, 1]. (README_motgt.txt as quoted in
  speedbyte/MotionFlowPriorityGraphSensors project/main/Objects.h; README_rgb.txt
  in the same repository's project/main/non_code/; sample rows in a public
  "Virtual-KITTI directory" notes file.)
* 2.x -- ``Scene<NN>/<variation>/frames/rgb/Camera_<c>/rgb_%05d.jpg`` and, in the
  textgt archive, ``Scene<NN>/<variation>/{bbox,info,pose}.txt`` with headers
  ``frame cameraID trackID left right top bottom number_pixels truncation_ratio
  occupancy_ratio isMoving`` (note: left right top bottom), ``trackID label
  model color`` and ``frame cameraID trackID alpha width height length
  world_space_X ... camera_space_X camera_space_Y camera_space_Z
  rotation_camera_space_y ...``; ``isMoving`` is written ``True``/``False``.
  Both archives may be unpacked into one folder or side by side as
  ``vkitti_2.0.3_rgb/`` and ``vkitti_2.0.3_textgt/``. (google-research
  factors_of_influence vkitti2.py for the image paths; VKITTI 2 loaders that read
  ``<textgt>/<scene>/<variation>/bbox.txt`` and a readme sample of bbox.txt and
  info.txt.)

KITTI conventions: ``truncated`` is the truncation ratio; ``occluded`` is the
1.3.1 flag where there is one, otherwise bucketed from the visible fraction at
0.8 and 0.4 (1.3.1's published rows put its flag boundary 1|2 between 0.397 and
0.453 and have a 0.789-visible car at 1; there is no numeric KITTI rule).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from drbench.data.kitti import CLASSES, KittiObject, LabelError, write_labels
from drbench.io import write_bytes_atomic, write_json_atomic

MOTGT_COLUMNS = ("frame tid label truncated occluded alpha l t r b w3d h3d l3d x3d y3d z3d "
                 "ry rx rz truncr occupr orig_label moving model color").split()
BBOX_COLUMNS = ("frame cameraID trackID left right top bottom number_pixels truncation_ratio "
                "occupancy_ratio isMoving").split()
INFO_COLUMNS = "trackID label model color".split()
POSE_COLUMNS = ("frame cameraID trackID alpha width height length world_space_X world_space_Y "
                "world_space_Z rotation_world_space_y rotation_world_space_x rotation_world_space_z "
                "camera_space_X camera_space_Y camera_space_Z rotation_camera_space_y "
                "rotation_camera_space_x rotation_camera_space_z").split()
OCCUPANCY_BOUNDS = (0.8, 0.4)  # visible fraction at or above -> KITTI occluded 0, 1; below -> 2


@dataclass(frozen=True)
class Frame:
    """One Virtual KITTI image with its objects as KITTI records."""

    frame_id: str  # unique across the data set: <world or scene>_<variation>_<frame:05d>
    image: Path
    objects: list[KittiObject]


@dataclass(frozen=True)
class Layout:
    version: str  # "1.3.1" or "2"
    rgb: Path  # folder holding the worlds (1.3.1) or Scene<NN> folders (2)
    gt: Path  # vkitti_*_motgt (1.3.1) or the folder holding the textgt Scene<NN> folders (2)


def occluded_from_occupancy(visible: float) -> int:
    """KITTI occlusion level (0 fully visible, 1 partly, 2 largely occluded) from a visible fraction."""
    return next((level for level, bound in enumerate(OCCUPANCY_BOUNDS) if visible >= bound), 2)


def detect_layout(root: str | os.PathLike) -> Layout:
    """Which Virtual KITTI version ``root`` holds, and where its images and ground truth are."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Virtual KITTI root {root} does not exist")
    for rgb in sorted(root.glob("vkitti_1.*_rgb")):
        motgt = rgb.with_name(rgb.name[: -len("_rgb")] + "_motgt")
        if motgt.is_dir():
            return Layout("1.3.1", rgb, motgt)
        raise FileNotFoundError(f"{root}: found {rgb.name}/ but not its ground truth folder {motgt.name}/")
    candidates = [(root, root)] + [(rgb, rgb.with_name(rgb.name[: -len("_rgb")] + "_textgt"))
                                   for rgb in sorted(root.glob("vkitti_2*_rgb"))]
    for rgb, gt in candidates:
        if any(rgb.glob("Scene*/*/frames/rgb")):
            if not any(gt.glob("Scene*/*/bbox.txt")):
                raise FileNotFoundError(f"{root}: found Virtual KITTI 2 images under {rgb} but no "
                                        f"{gt}/Scene<NN>/<variation>/bbox.txt (unpack the textgt archive)")
            return Layout("2", rgb, gt)
    raise FileNotFoundError(
        f"{root} is not a Virtual KITTI folder: expected vkitti_1.3.1_rgb/ and vkitti_1.3.1_motgt/ "
        f"(1.3.1), or Scene<NN>/<variation>/frames/rgb/ with Scene<NN>/<variation>/bbox.txt, "
        f"unpacked together or as vkitti_2.0.3_rgb/ and vkitti_2.0.3_textgt/ (2.x)")


def _rows(path: Path, columns: list[str]):
    """``(where, {column: text})`` per data line; the header must name ``columns`` in this order."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: ground truth file is missing")
    with open(path, encoding="utf-8") as handle:
        header = handle.readline().split()
        if header != columns:
            raise LabelError(f"{path}:1: expected the header {' '.join(columns)!r}, got {' '.join(header)!r}")
        for number, line in enumerate(handle, start=2):
            parts = line.split()
            if not parts:
                continue
            where = f"{path}:{number}"
            if len(parts) != len(columns):
                raise LabelError(f"{where}: expected {len(columns)} fields, got {len(parts)}: {line.strip()!r}")
            yield where, dict(zip(columns, parts))


def _number(row: dict, where: str, key: str, kind: type = float, low: float | None = None,
            high: float | None = None):
    """``row[key]`` as ``kind`` (float or int), finite and inside [low, high]; else a LabelError at ``where``."""
    text = row[key]
    try:
        value = kind(text)
    except ValueError:
        raise LabelError(f"{where}: {key} must be {'a number' if kind is float else 'an integer'}, "
                         f"got {text!r}") from None
    if kind is float and (math.isnan(value) or math.isinf(value)):
        raise LabelError(f"{where}: {key} is NaN or infinite")
    if (low is not None and value < low) or (high is not None and value > high):
        raise LabelError(f"{where}: {key} must lie in [{low}, {high}], got {text!r}")
    return value


def _class(name: str, where: str) -> str:
    if name not in CLASSES:
        raise LabelError(f"{where}: unknown class {name!r} (known: {', '.join(CLASSES)})")
    return name


def _box(left: float, top: float, right: float, bottom: float, where: str) -> tuple[float, ...]:
    if right < left or bottom < top:
        raise LabelError(f"{where}: box has right<left or bottom<top ({left}, {top}, {right}, {bottom})")
    return left, top, right, bottom


def read_motgt(path: str | os.PathLike) -> dict[int, list[KittiObject]]:
    """A 1.3.1 ``<world>_<variation>.txt``: objects per frame index, file order kept."""
    frames: dict[int, list[KittiObject]] = {}
    for where, row in _rows(Path(path), MOTGT_COLUMNS):
        num = partial(_number, row, where)
        obj = KittiObject(
            type=_class(row["label"], where),
            truncated=num("truncr", low=0, high=1),
            occluded=num("occluded", kind=int, low=0, high=3),
            alpha=num("alpha"),
            bbox=_box(num("l"), num("t"), num("r"), num("b"), where),
            dimensions=(num("h3d"), num("w3d"), num("l3d")),
            location=(num("x3d"), num("y3d"), num("z3d")),
            rotation_y=num("ry"),
        )
        frames.setdefault(num("frame", kind=int, low=0), []).append(obj)
    return frames


def read_textgt(folder: str | os.PathLike, camera: int = 0) -> dict[int, list[KittiObject]]:
    """A 2.x ``Scene<NN>/<variation>`` folder's bbox.txt + info.txt (+ pose.txt if present), one camera."""
    folder = Path(folder)
    labels = {}
    for where, row in _rows(folder / "info.txt", INFO_COLUMNS):
        labels[_number(row, where, "trackID", kind=int)] = _class(row["label"], where)
    poses = {}
    if (folder / "pose.txt").is_file():
        for where, row in _rows(folder / "pose.txt", POSE_COLUMNS):
            num = partial(_number, row, where)
            if num("cameraID", kind=int) == camera:
                poses[num("frame", kind=int), num("trackID", kind=int)] = dict(
                    alpha=num("alpha"), dimensions=(num("height"), num("width"), num("length")),
                    location=(num("camera_space_X"), num("camera_space_Y"), num("camera_space_Z")),
                    rotation_y=num("rotation_camera_space_y"))
    frames: dict[int, list[KittiObject]] = {}
    for where, row in _rows(folder / "bbox.txt", BBOX_COLUMNS):
        num = partial(_number, row, where)
        if num("cameraID", kind=int, low=0) != camera:
            continue
        if row["isMoving"] not in ("True", "False", "0", "1"):
            raise LabelError(f"{where}: isMoving must be True, False, 0 or 1, got {row['isMoving']!r}")
        frame, track = num("frame", kind=int, low=0), num("trackID", kind=int)
        if track not in labels:
            raise LabelError(f"{where}: track {track} has no class in {folder / 'info.txt'}")
        obj = KittiObject(
            type=labels[track],
            truncated=num("truncation_ratio", low=0, high=1),
            occluded=occluded_from_occupancy(num("occupancy_ratio", low=0, high=1)),
            bbox=_box(num("left"), num("top"), num("right"), num("bottom"), where),
            **poses.get((frame, track), {}),
        )
        frames.setdefault(frame, []).append(obj)
    return frames


def _sequences(layout: Layout, camera: int):
    """``(name, image paths by frame index, ground truth reader)`` per video."""
    if layout.version == "1.3.1":
        for folder in sorted(p for p in layout.rgb.glob("*/*") if p.is_dir()):
            world, variation = folder.parent.name, folder.name
            images = {int(p.stem): p for p in folder.glob("*.png") if p.stem.isdigit()}
            gt = layout.gt / f"{world}_{variation}.txt"
            yield f"{world}_{variation}", images, lambda gt=gt: read_motgt(gt)
    else:
        for folder in sorted(layout.rgb.glob(f"Scene*/*/frames/rgb/Camera_{camera}")):
            scene_dir = folder.parent.parent.parent
            scene, variation = scene_dir.parent.name, scene_dir.name
            images = {int(m.group(1)): p for p in folder.glob("rgb_*")
                      if (m := re.fullmatch(r"rgb_(\d+)\.(?:jpg|png)", p.name))}
            gt = layout.gt / scene / variation
            yield f"{scene}_{variation}", images, lambda gt=gt: read_textgt(gt, camera)


def read_vkitti(root: str | os.PathLike, variations: list[str] | None = None,
                camera: int = 0) -> list[Frame]:
    """Every image of ``root`` (only ``variations`` if given, e.g. ["clone"]) with its objects, sorted by id.

    Frames without a ground-truth line have no objects; ground truth for missing images is not used.
    """
    layout = detect_layout(root)
    frames = []
    for name, images, read_gt in _sequences(layout, camera):
        if variations is not None and name.split("_", 1)[1] not in variations:
            continue
        objects = read_gt()
        frames += [Frame(f"{name}_{index:05d}", path, objects.get(index, []))
                   for index, path in sorted(images.items())]
    if not frames:
        raise FileNotFoundError(f"{root}: no Virtual KITTI {layout.version} images"
                                + (f" for variations {variations}" if variations else ""))
    return frames


def evenly_spaced(frames: list[Frame], n: int | None) -> list[Frame]:
    """``n`` frames spread over the whole list (consecutive video frames are near duplicates)."""
    if n is None or n >= len(frames):
        return list(frames)
    if n < 1:
        raise ValueError(f"n_images must be at least 1, got {n}")
    return [frames[i] for i in np.unique(np.linspace(0, len(frames) - 1, n).round().astype(int))]


def _place_image(source: Path, target: Path) -> None:
    """PNGs are linked (atomically: link beside, rename over); other formats are re-encoded as PNG."""
    if target.exists():
        return
    if source.suffix.lower() == ".png":
        temporary = target.with_name(f".{target.name}.link")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(source.resolve())
        os.replace(temporary, target)
        return
    import io

    from PIL import Image

    buffer = io.BytesIO()
    with Image.open(source) as image:
        image.convert("RGB").save(buffer, format="PNG")
    write_bytes_atomic(target, buffer.getvalue())


def to_kitti_layout(vkitti_root: str | os.PathLike, out_dir: str | os.PathLike, *,
                    n_images: int | None = None, variations: list[str] | None = None,
                    camera: int = 0) -> dict:
    """Write ``out_dir/image_2/<id>.png`` + ``out_dir/label_2/<id>.txt`` (+ manifest.json) for training.

    Re-running skips images already in place, so a killed conversion resumes.
    """
    out_dir = Path(out_dir)
    layout = detect_layout(vkitti_root)
    chosen = evenly_spaced(read_vkitti(vkitti_root, variations, camera), n_images)
    (out_dir / "image_2").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for frame in chosen:
        _place_image(frame.image, out_dir / "image_2" / f"{frame.frame_id}.png")
        write_labels(out_dir / "label_2" / f"{frame.frame_id}.txt", frame.objects)
        for obj in frame.objects:
            counts[obj.type] = counts.get(obj.type, 0) + 1
    summary = {"dir": str(out_dir), "source": str(Path(vkitti_root).resolve()), "version": layout.version,
               "camera": camera, "variations": variations, "n_images": len(chosen),
               "objects": dict(sorted(counts.items()))}
    write_json_atomic(out_dir / "manifest.json", {**summary, "frames": [f.frame_id for f in chosen]})
    return summary
