"""Data set fingerprints: the devkit's levels on real KITTI, and the stats command."""

import json

import pytest

from drbench.cli import main
from drbench.data.splits import SPLITS
from drbench.generate import stats
from drbench.paths import SHARED_DEFAULT

KITTI_MINI = SHARED_DEFAULT / "data" / "kitti-mini"


@pytest.mark.skipif(not (KITTI_MINI / "training" / "label_2").is_dir(), reason="no kitti-mini")
def test_fingerprint_of_kitti_mini_matches_its_known_counts(tmp_path, capsys):
    fp = stats.fingerprint(KITTI_MINI)
    # ../shared/data/kitti-mini: 101 frames, 303 Car boxes, 79 easy and 185 moderate (field notes)
    assert fp["images"] == 101 and fp["cars"] == 303 == fp["classes"]["Car"]
    assert fp["kitti_level_counts"]["easy"] == 79 and fp["kitti_level_counts"]["moderate"] == 185
    assert fp["kitti_levels"]["easy"] == pytest.approx(79 / 303)
    assert sum(fp["cars_per_image"]["histogram"]) == 101 and sum(fp["box_height_px"]["histogram"]) == 303
    assert sum(fp["occlusion"].values()) == pytest.approx(1.0)
    code = main(["stats", str(KITTI_MINI), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "KITTI easy" in out and "26.1 %" in out
    assert json.loads((tmp_path / "stats.json").read_text())["cars"] == 303
    assert (tmp_path / "stats.png").stat().st_size > 10_000


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["stats", str(tmp_path / "nope")]) == 2
    assert "label_2" in capsys.readouterr().out


@pytest.mark.skipif(not (KITTI_MINI / "training" / "label_2").is_dir(), reason="no kitti-mini")
def test_fingerprint_of_a_frame_subset_counts_only_those_frames():
    train, test = (stats.fingerprint(KITTI_MINI, frames=SPLITS[s]) for s in ("real-train", "real-test"))
    assert (train["images"], test["images"]) == (50, 51)
    assert train["cars"] + test["cars"] == 303 and 0 < train["cars"] < 303
    assert train["kitti_level_counts"]["easy"] + test["kitti_level_counts"]["easy"] == 79
    with pytest.raises(FileNotFoundError, match="999999"):
        stats.fingerprint(KITTI_MINI, frames=["999999"])
