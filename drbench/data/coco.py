"""KITTI-layout folders to COCO-style annotation dicts, the input mmdet's CocoDataset trains on.

Boxes the KITTI evaluation neither rewards nor punishes must not be taught as
background either, so they are kept as ignore regions (``iscrowd=1``, which
mmdet turns into ``ignore_flag=1``): the evaluated class's neighbour (``Van``
for ``Car``), boxes of the class outside the chosen difficulty level, and
``DontCare`` regions.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from drbench.data.kitti import KittiObject, read_labels
from drbench.data.levels import LEVELS, NEIGHBOUR_CLASS, Level
from drbench.io import write_json_atomic

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def frame_dirs(root: str | os.PathLike) -> tuple[Path, Path]:
    """``(image_dir, label_dir)`` of a KITTI root (``training/``) or a flat ``image_2``/``label_2`` folder."""
    root = Path(root)
    for base in (root / "training", root):
        if (base / "label_2").is_dir():
            return base / "image_2", base / "label_2"
    raise FileNotFoundError(
        f"{root}: neither {root}/training/label_2 (KITTI root) nor {root}/label_2 (flat data folder) exists"
    )


def list_frame_ids(root: str | os.PathLike) -> list[str]:
    """Every frame id with a label file, sorted."""
    return sorted(p.stem for p in frame_dirs(root)[1].glob("*.txt"))


def png_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(width, height)`` from a PNG's IHDR chunk, without decoding the image."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG file (bad signature or missing IHDR)")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _level(name: str | None) -> Level | None:
    if name is None:
        return None
    for level in LEVELS:
        if level.name == name:
            return level
    raise KeyError(f"unknown level {name!r}; known: {', '.join(lv.name for lv in LEVELS)} or None")


def _is_positive(obj: KittiObject, level: Level | None) -> bool:
    """Inside the devkit level (same rules as its ground truth; None: every box counts)."""
    return level is None or (
        obj.occluded <= level.max_occlusion
        and obj.truncated <= level.max_truncation
        and obj.height > level.min_height
    )


def _annotation(obj: KittiObject, ann_id: int, image_id: int, category_id: int, ignore: bool) -> dict:
    left, top, right, bottom = obj.bbox
    width, height = right - left, bottom - top
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "bbox": [left, top, width, height],
        "area": width * height,
        "iscrowd": int(ignore),
        "ignore_flag": int(ignore),
        "kitti_type": obj.type,
        "truncated": obj.truncated,
        "occluded": obj.occluded,
    }


def kitti_to_coco(
    root: str | os.PathLike,
    frames: list[str] | None = None,
    classes: tuple[str, ...] = ("Car",),
    level: str | None = "hard",
) -> dict:
    """COCO dict for ``frames`` (default: all) of a KITTI root or flat data folder.

    Image ``file_name`` is absolute (drbench's mmdet configs use an empty
    ``data_root``). ``level`` picks which boxes of a class are positives; by
    default the devkit's widest level, "hard", so only boxes it never scores
    (tiny, heavily truncated or occluded) become ignore regions.
    """
    return coco_for_dirs([root], {Path(root): frames} if frames is not None else None, classes, level)


def coco_for_dirs(
    roots: list[str | os.PathLike],
    frames: dict[Path, list[str]] | None = None,
    classes: tuple[str, ...] = ("Car",),
    level: str | None = "hard",
) -> dict:
    """One COCO dict over several folders (e.g. synthetic and real), ids unique across them."""
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(classes)]
    category_of = {name.lower(): i + 1 for i, name in enumerate(classes)}
    neighbour_of = {NEIGHBOUR_CLASS[c]: i for c, i in category_of.items() if c in NEIGHBOUR_CLASS}
    positive_level = _level(level)
    limits = {Path(k).resolve(): v for k, v in (frames or {}).items()}
    unknown = set(limits) - {Path(r).resolve() for r in roots}
    if unknown:
        raise KeyError(f"frame lists given for folders not in the data: {sorted(map(str, unknown))}")
    images, annotations = [], []
    for root in roots:
        image_dir, label_dir = frame_dirs(root)
        wanted = limits.get(Path(root).resolve())
        for frame in wanted if wanted is not None else list_frame_ids(root):
            image_path = image_dir / f"{frame}.png"
            if not image_path.is_file():
                raise FileNotFoundError(f"{image_path}: image for label {label_dir / frame}.txt is missing")
            width, height = png_size(image_path)
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": str(image_path.resolve()), "width": width,
                           "height": height, "frame": frame})
            for obj in read_labels(label_dir / f"{frame}.txt"):
                kind = obj.type.lower()
                if kind in category_of:
                    marks = [(category_of[kind], not _is_positive(obj, positive_level))]
                elif kind in neighbour_of:
                    marks = [(neighbour_of[kind], True)]
                elif kind == "dontcare":  # an ignore region for every class
                    marks = [(category["id"], True) for category in categories]
                else:
                    continue
                for category_id, ignore in marks:
                    annotations.append(_annotation(obj, len(annotations) + 1, image_id, category_id, ignore))
    return {
        "info": {"description": "KITTI-layout labels converted by drbench", "level": level},
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }


def write_coco(
    path: str | os.PathLike,
    root: str | os.PathLike,
    frames: list[str] | None = None,
    classes: tuple[str, ...] = ("Car",),
    level: str | None = "hard",
) -> Path:
    """Write :func:`kitti_to_coco` for one folder to ``path`` atomically."""
    return write_json_atomic(path, kitti_to_coco(root, frames, classes, level))


def write_coco_for_dirs(
    path: str | os.PathLike,
    roots: list[str | os.PathLike],
    frames: dict[Path, list[str]] | None = None,
    classes: tuple[str, ...] = ("Car",),
    level: str | None = "hard",
) -> Path:
    """Write :func:`coco_for_dirs` to ``path`` atomically; ``frames`` may limit any folder."""
    return write_json_atomic(path, coco_for_dirs(roots, frames, classes, level))
