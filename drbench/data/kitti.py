"""KITTI object labels (``label_2`` format): every field, every class, strict parsing.

One line per object, 15 whitespace-separated fields (16 with a detection score):
type, truncated, occluded, alpha, bbox(left top right bottom), dimensions(h w l),
location(x y z), rotation_y[, score].
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from drbench.io import write_text_atomic

CLASSES = (
    "Car", "Van", "Truck", "Pedestrian", "Person_sitting",
    "Cyclist", "Tram", "Misc", "DontCare",
)


class LabelError(ValueError):
    """A malformed label line; the message names the file and line."""


@dataclass
class KittiObject:
    """One labelled object (or one detection, when ``score`` is set)."""

    type: str
    bbox: tuple[float, float, float, float]  # left, top, right, bottom in pixels
    truncated: float = 0.0
    occluded: int = 0
    alpha: float = -10.0
    dimensions: tuple[float, float, float] = (-1.0, -1.0, -1.0)  # h, w, l in metres
    location: tuple[float, float, float] = (-1000.0, -1000.0, -1000.0)  # camera coords
    rotation_y: float = -10.0
    score: float | None = None
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    def to_line(self) -> str:
        values = [
            self.type,
            f"{self.truncated:.2f}",
            str(int(self.occluded)),
            f"{self.alpha:.2f}",
            *(f"{v:.2f}" for v in self.bbox),
            *(f"{v:.2f}" for v in self.dimensions),
            *(f"{v:.2f}" for v in self.location),
            f"{self.rotation_y:.2f}",
        ]
        if self.score is not None:
            values.append(f"{self.score:.4f}")
        return " ".join(values)


def parse_line(line: str, where: str = "<string>") -> KittiObject:
    """Parse one label line; ``where`` (``file:line``) goes into any error."""
    parts = line.split()
    if len(parts) not in (15, 16):
        raise LabelError(f"{where}: expected 15 or 16 fields, got {len(parts)}: {line.strip()!r}")
    kind = parts[0]
    if kind not in CLASSES:
        raise LabelError(f"{where}: unknown class {kind!r} (known: {', '.join(CLASSES)})")
    try:
        nums = [float(p) for p in parts[1:]]
    except ValueError as exc:
        raise LabelError(f"{where}: non-numeric field in {line.strip()!r}: {exc}") from None
    if any(math.isnan(v) or math.isinf(v) for v in nums):
        raise LabelError(f"{where}: NaN or infinite value in {line.strip()!r}")
    left, top, right, bottom = nums[3:7]
    if right < left or bottom < top:
        raise LabelError(f"{where}: box has right<left or bottom<top: {line.strip()!r}")
    occluded = nums[1]
    if occluded != int(occluded) or int(occluded) not in (-1, 0, 1, 2, 3):
        raise LabelError(f"{where}: occluded must be an integer in -1..3, got {parts[2]!r}")
    return KittiObject(
        type=kind,
        truncated=nums[0],
        occluded=int(occluded),
        alpha=nums[2],
        bbox=(left, top, right, bottom),
        dimensions=tuple(nums[7:10]),
        location=tuple(nums[10:13]),
        rotation_y=nums[13],
        score=nums[14] if len(nums) == 15 else None,
    )


def read_labels(path: str | os.PathLike) -> list[KittiObject]:
    """Read a ``label_2`` file; blank lines are skipped, anything malformed raises LabelError."""
    path = Path(path)
    objects = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                objects.append(parse_line(line, where=f"{path}:{number}"))
    return objects


def write_labels(path: str | os.PathLike, objects: list[KittiObject]) -> Path:
    """Write a ``label_2`` file atomically (an empty file means no objects)."""
    text = "".join(obj.to_line() + "\n" for obj in objects)
    return write_text_atomic(path, text)


def parse_detections(text: str, where: str) -> list[KittiObject]:
    """A KITTI result file's detections: label lines that must carry a score (16 fields)."""
    detections = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        obj = parse_line(line, where=f"{where}:{number}")
        if obj.score is None:
            raise LabelError(f"{where}:{number}: prediction has no score (15 fields; 16 expected)")
        detections.append(obj)
    return detections
