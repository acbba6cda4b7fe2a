"""Regression check: drops below and jumps above the reference interval both fail."""

import copy
import json
import shutil

import pytest

from drbench.cli import main
from drbench.leaderboard.entries import read_entries, read_entry
from drbench.leaderboard.regression import (
    compare,
    latest_matching,
    reference_members,
    seed_spread,
)
from drbench.paths import REPO_ROOT


def _entry(ap40, low, high):
    level = {"ap11": ap40, "ap40": ap40, "ap11_ci95": [low, high], "ap40_ci95": [low, high],
             "n_gt": 38}
    return {"protocol": "dr-only", "profile": "cpu", "detector": "faster_rcnn",
            "test_split": "real-test",
            "scores": {iou: {lvl: dict(level) for lvl in ("easy", "moderate", "hard")}
                       for iou in ("0.5", "0.7")}}


def test_within_the_interval_passes():
    assert compare(_entry(30, 0, 0), _entry(28, 20, 36)) == []


def test_a_drop_below_the_interval_is_a_regression():
    fresh = _entry(28, 20, 36)
    fresh["scores"]["0.5"]["easy"]["ap40"] = 12.0
    (finding,) = compare(fresh, _entry(28, 20, 36))
    assert finding.kind == "regression" and (finding.iou, finding.level) == ("0.5", "easy")
    assert "12.0 vs reference 28.0" in str(finding)


def test_a_jump_above_the_interval_is_suspicious():
    fresh = _entry(28, 20, 36)
    fresh["scores"]["0.7"]["moderate"]["ap40"] = 60.0
    (finding,) = compare(fresh, _entry(28, 20, 36))
    assert finding.kind == "suspicious gain"


def test_an_aggregated_reference_is_judged_by_its_seed_spread():
    members = [_entry(ap, ap - 15, ap + 15) for ap in (40.0, 44.0, 48.0)]
    reference = _entry(44.0, 34.1, 53.9)  # the mean's t interval over the three seeds
    low, high = seed_spread([40.0, 44.0, 48.0])
    # one more run lands in mean ± t(2)·sd·sqrt(1 + 1/3): 44 ± 4.30·4·1.155
    assert (round(low, 1), round(high, 1)) == (24.1, 63.9)
    assert compare(_entry(30.0, 0, 0), reference, members) == []  # inside the spread, below the mean's interval
    (finding, *_) = compare(_entry(20.0, 0, 0), reference, members)
    assert finding.kind == "regression" and "seed-spread (3 seeds)" in str(finding)


def test_different_protocols_are_not_compared():
    other = copy.deepcopy(_entry(28, 20, 36))
    other["profile"] = "smoke"
    with pytest.raises(ValueError, match="profile"):
        compare(other, _entry(28, 20, 36))


def test_regress_finds_the_newest_fresh_entry_and_references_stay_off_the_board(tmp_path):
    board = REPO_ROOT / "leaderboards"
    shutil.copy(board / "dr-only-dr-cpu-d230dabc.json", tmp_path)
    shutil.copy(board / "baseline-cpu.json", tmp_path)
    members = json.loads((board / "baseline-cpu.json").read_text())["aggregate"]["members"]
    for run_id in members:  # the seeds behind the reference: its spread is the yardstick
        shutil.copy(board / f"{run_id}.json", tmp_path)
    assert sorted(e["run_id"] for e in read_entries(tmp_path)) == sorted(["dr-only-dr-cpu-d230dabc", *members])
    assert latest_matching(tmp_path, read_entry(tmp_path / "baseline-cpu.json"))["run_id"] == "dr-only-dr-cpu-d230dabc"
    assert main(["regress", "--baseline", str(tmp_path / "baseline-cpu.json"), "--board-dir", str(tmp_path)]) == 0
    smoke = tmp_path / "smoke"
    smoke.mkdir()
    shutil.copy(next(board.glob("dr-only-dr-smoke-*.json")), smoke)
    # the smoke entry is not a cpu run: nothing to compare with is an error, not a pass
    assert main(["regress", "--baseline", str(tmp_path / "baseline-cpu.json"), "--board-dir", str(smoke)]) == 2


def test_an_aggregated_reference_without_its_seed_entries_is_named(tmp_path):
    reference = {**_entry(44.0, 34.1, 53.9), "run_id": "dr-only-dr-cpu-seeds2-x",
                 "aggregate": {"members": ["dr-only-dr-cpu-a", "dr-only-dr-cpu-b"]}}
    with pytest.raises(FileNotFoundError, match="dr-only-dr-cpu-seeds2-x: its per-seed entries are missing"):
        reference_members(reference, tmp_path)
