"""Frame lists and the fixed kitti-mini split that every protocol is scored on."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import numpy as np

# Fixed split (../shared/field-notes.md): every protocol evaluates on real-test. "all" is the
# whole fixed set (kitti-mini's 101 frames), where arms that saw no real frame are scored too: a
# fixed list, so a full KITTI root (7,481 frames) scores the same frames, not every one it holds.
SPLITS: dict[str, list[str]] = {
    "real-train": [f"{i:06d}" for i in range(0, 50)],
    "real-test": [f"{i:06d}" for i in range(50, 101)],
    "all": [f"{i:06d}" for i in range(0, 101)],
}


def list_frames(root: str | Path, subset: str = "training") -> list[str]:
    """All frame ids with a label file under ``root/<subset>/label_2``, sorted."""
    return sorted(p.stem for p in (Path(root) / subset / "label_2").glob("*.txt"))


def split_frames(root: str | Path, split: str | None) -> list[str]:
    """Frame ids of a named split (None: every labelled frame present under ``root``)."""
    present = list_frames(root)
    if split is None:
        return present
    if split not in SPLITS:
        raise KeyError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    missing = sorted(set(SPLITS[split]) - set(present))
    if missing:
        raise FileNotFoundError(
            f"split {split!r} needs frames missing under {root}/training/label_2: "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
        )
    return list(SPLITS[split])


def nested_subset(frames: list[str], n: int, seed: int) -> list[str]:
    """``n`` frames drawn by a seeded permutation: for one seed, smaller subsets are
    prefixes of larger ones (the 25-frame subset lies inside the 50-frame one)."""
    if not 0 < n <= len(frames):
        raise ValueError(f"subset size must be in 1..{len(frames)}, got {n}")
    order = np.random.default_rng(seed).permutation(len(frames))
    return sorted(sorted(frames)[i] for i in order[:n])


@cache
def _frames_digest(root: str, frames: tuple[str, ...], parts: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for frame in frames:
        for part in parts:
            path = Path(root) / "training" / part / f"{frame}{'.txt' if part == 'label_2' else '.png'}"
            digest.update(f"{part}/{path.name}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def frames_digest(root: str | Path, frames: list[str], parts: tuple[str, ...] = ("label_2", "image_2")) -> str:
    """Fingerprint of the real frames a step reads (their bytes, not where they are): a cached
    step is reused from any folder or machine holding the same data, and redone when it changes."""
    return _frames_digest(str(Path(root).resolve()), tuple(sorted(frames)), parts)


def tree_digest(root: str | Path) -> str:
    """Cheap fingerprint of a large folder (e.g. Virtual KITTI, gigabytes): relative paths and sizes."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(root).as_posix()}\0{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]
