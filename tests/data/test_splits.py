"""The fixed kitti-mini split every protocol is scored on."""

from __future__ import annotations

import pytest

from drbench.data.kitti import read_labels, write_labels
from drbench.data.splits import SPLITS, list_frames, split_frames
from drbench.evaluate import devkit


def test_splits_are_disjoint_and_cover_frames_0_to_100():
    train, test = set(SPLITS["real-train"]), set(SPLITS["real-test"])
    assert (len(train), len(test)) == (50, 51)
    assert not train & test
    assert train | test == {f"{i:06d}" for i in range(101)} == set(SPLITS["all"])


def test_split_frames_on_kitti_mini(root):
    assert split_frames(root, "real-test") == SPLITS["real-test"]
    assert split_frames(root, "all") == split_frames(root, None) == list_frames(root)
    assert len(list_frames(root)) == 101
    with pytest.raises(KeyError, match="unknown split"):
        split_frames(root, "val")


def test_easy_and_moderate_car_counts_per_split(root):
    # The counts the field notes promise; they decide the reachable AP ceiling.
    counts = {}
    for split, frames in SPLITS.items():
        gts = [read_labels(root / "training" / "label_2" / f"{f}.txt") for f in frames]
        packed = devkit.pack(gts, [[] for _ in gts])
        counts[split] = [int((devkit.ignore_flags(packed, lv)[0] == 0).sum()) for lv in devkit.LEVELS[:2]]
    assert counts == {"real-train": [41, 86], "real-test": [38, 99], "all": [79, 185]}


def test_all_is_the_fixed_set_even_where_the_root_holds_more_frames(tmp_path):
    """A full KITTI root (7,481 frames) scores the same 101 frames as kitti-mini, not all it holds."""
    for frame in [f"{i:06d}" for i in range(103)]:
        write_labels(tmp_path / "training" / "label_2" / f"{frame}.txt", [])
    assert split_frames(tmp_path, "all") == SPLITS["all"]
    assert len(split_frames(tmp_path, None)) == 103


def test_split_with_missing_frames_names_them(tmp_path):
    for frame in SPLITS["real-test"][:3]:
        write_labels(tmp_path / "training" / "label_2" / f"{frame}.txt", [])
    assert list_frames(tmp_path) == SPLITS["real-test"][:3]
    with pytest.raises(FileNotFoundError, match="000053"):
        split_frames(tmp_path, "real-test")


def test_nested_subsets_are_nested_seeded_and_sized():
    from drbench.data.splits import nested_subset

    train = SPLITS["real-train"]
    small, large = nested_subset(train, 25, seed=7), nested_subset(train, 50, seed=7)
    assert len(small) == 25 and len(set(small)) == 25 and set(small) <= set(large) == set(train)
    assert nested_subset(train, 10, seed=7) == nested_subset(train, 10, seed=7)
    assert nested_subset(train, 10, seed=7) != nested_subset(train, 10, seed=8)
    with pytest.raises(ValueError, match="1..50"):
        nested_subset(train, 51, seed=0)
