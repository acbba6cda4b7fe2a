"""Regression check: drops below and jumps above the reference interval both fail."""

import copy

import pytest

from drbench.regress import compare


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


def test_different_protocols_are_not_compared():
    other = copy.deepcopy(_entry(28, 20, 36))
    other["profile"] = "smoke"
    with pytest.raises(ValueError, match="profile"):
        compare(other, _entry(28, 20, 36))
