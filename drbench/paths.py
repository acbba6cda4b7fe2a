"""Where the real data and assets live: settings, never copies inside the repo."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
KITTI_ENV = "DRBENCH_KITTI_ROOT"
SHARED_DEFAULT = REPO_ROOT.parent / "shared"

KITTI_HOWTO = (
    "Download the KITTI 2D object benchmark (data_object_image_2.zip and "
    "data_object_label_2.zip from https://www.cvlibs.net/datasets/kitti/eval_object.php), "
    "unzip both into one folder so that <root>/training/image_2 and <root>/training/label_2 "
    f"exist, then pass --kitti-root <root> or set {KITTI_ENV}=<root>."
)


class DataRootError(FileNotFoundError):
    """The KITTI root is missing or not laid out as KITTI."""


def kitti_root(explicit: str | os.PathLike | None = None) -> Path:
    """Resolve the KITTI root: explicit flag, then $DRBENCH_KITTI_ROOT, then ../shared/data/kitti-mini."""
    if explicit:
        candidate, origin = Path(explicit), "--kitti-root"
    elif os.environ.get(KITTI_ENV):
        candidate, origin = Path(os.environ[KITTI_ENV]), f"${KITTI_ENV}"
    else:
        candidate, origin = SHARED_DEFAULT / "data" / "kitti-mini", "default"
    if not (candidate / "training" / "label_2").is_dir():
        raise DataRootError(
            f"KITTI root {candidate} (from {origin}) has no training/label_2 folder. {KITTI_HOWTO}"
        )
    return candidate


def car_models_dir() -> Path | None:
    """The optional shared folder of CC0 vehicle meshes, if present."""
    folder = Path(os.environ.get("DRBENCH_CAR_MODELS", SHARED_DEFAULT / "assets" / "car-models"))
    return folder if folder.is_dir() else None
