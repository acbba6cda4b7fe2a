"""Frame lists and the fixed kitti-mini split that every protocol is scored on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Fixed split (../shared/field-notes.md): every protocol evaluates on real-test.
SPLITS: dict[str, list[str]] = {
    "real-train": [f"{i:06d}" for i in range(0, 50)],
    "real-test": [f"{i:06d}" for i in range(50, 101)],
}


def list_frames(root: str | Path, subset: str = "training") -> list[str]:
    """All frame ids with a label file under ``root/<subset>/label_2``, sorted."""
    return sorted(p.stem for p in (Path(root) / subset / "label_2").glob("*.txt"))


def split_frames(root: str | Path, split: str | None) -> list[str]:
    """Frame ids of a named split (``all`` or None = every labelled frame present)."""
    present = list_frames(root)
    if split in (None, "all"):
        return present
    if split not in SPLITS:
        raise KeyError(f"unknown split {split!r}; known: all, {', '.join(SPLITS)}")
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
