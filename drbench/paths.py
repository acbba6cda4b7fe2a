"""Where the real data and assets live: settings, never copies inside the repo."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
KITTI_ENV = "DRBENCH_KITTI_ROOT"
VKITTI_ENV = "DRBENCH_VKITTI_ROOT"
SHARED_DEFAULT = REPO_ROOT.parent / "shared"

KITTI_HOWTO = (
    "Download the KITTI 2D object benchmark (data_object_image_2.zip and "
    "data_object_label_2.zip from https://www.cvlibs.net/datasets/kitti/eval_object.php), "
    "unzip both into one folder so that <root>/training/image_2 and <root>/training/label_2 "
    f"exist, then pass --kitti-root <root> or set {KITTI_ENV}=<root>."
)

VKITTI_HOWTO = (
    "Download Virtual KITTI 1.3.1 (vkitti_1.3.1_rgb.tar and vkitti_1.3.1_motgt.tar.gz from "
    "https://download.europe.naverlabs.com/virtual-kitti-1.3.1/) or 2.x (vkitti_2.0.3_rgb.tar and "
    "vkitti_2.0.3_textgt.tar.gz from https://download.europe.naverlabs.com/virtual_kitti_2.0.3/; see "
    "https://europe.naverlabs.com/research/computer-vision/proxy-virtual-worlds-vkitti-2/), "
    "unpack both archives of one version into one folder, then pass "
    f"--vkitti-root <folder> or set {VKITTI_ENV}=<folder>."
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


def vkitti_root(explicit: str | os.PathLike | None = None) -> Path | None:
    """The Virtual KITTI folder from the flag, then $DRBENCH_VKITTI_ROOT; None when neither is set.

    It is optional: protocols report a Virtual KITTI arm as absent without it.
    """
    if explicit:
        candidate, origin = Path(explicit), "--vkitti-root"
    elif os.environ.get(VKITTI_ENV):
        candidate, origin = Path(os.environ[VKITTI_ENV]), f"${VKITTI_ENV}"
    else:
        return None
    if not candidate.is_dir():
        raise DataRootError(f"Virtual KITTI root {candidate} (from {origin}) does not exist. {VKITTI_HOWTO}")
    return candidate


def car_models_dir() -> Path | None:
    """The optional shared folder of CC0 vehicle meshes, if present."""
    folder = Path(os.environ.get("DRBENCH_CAR_MODELS", SHARED_DEFAULT / "assets" / "car-models"))
    return folder if folder.is_dir() else None
