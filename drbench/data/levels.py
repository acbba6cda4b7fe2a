"""KITTI's shared vocabulary: difficulty levels and neighbour classes.

It lives in ``data`` so that everything above (evaluation, generation
statistics, COCO conversion, the leaderboard) reads one definition and
``data`` imports nothing above it. Values are the devkit's
(``evaluate_object.cpp``).
"""

from __future__ import annotations

from dataclasses import dataclass

NEIGHBOUR_CLASS = {"car": "van", "pedestrian": "person_sitting"}


@dataclass(frozen=True)
class Level:
    """One difficulty level: which ground truth counts (the rest is ignored)."""

    name: str
    min_height: float
    max_occlusion: int
    max_truncation: float


LEVELS = (
    Level("easy", 40, 0, 0.15),
    Level("moderate", 25, 1, 0.30),
    Level("hard", 25, 2, 0.50),
)
LEVEL_NAMES = tuple(level.name for level in LEVELS)
