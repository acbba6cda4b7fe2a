"""Background false positives per image with a paired interval, on the committed board: the hdri
randomizer's entry (one seed) against the cpu baseline (a 3-seed aggregate), scored on the real
kitti-mini labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from drbench.cli import main
from drbench.data.kitti import KittiObject, read_labels
from drbench.data.levels import LEVELS
from drbench.data.splits import split_frames
from drbench.leaderboard.background_errors import background_bootstrap, background_per_frame
from drbench.leaderboard.comparison import compare_entries, in_words, prediction_entries
from drbench.leaderboard.entries import read_entry
from drbench.leaderboard.predictions import read_predictions

BOARD = Path(__file__).resolve().parents[2] / "leaderboards"
HDRI, BASELINE = BOARD / "dr-only-dr-hdri-cpu-42a3052f.json", BOARD / "baseline-cpu.json"
LEVEL_OF = {level.name: level for level in LEVELS}


@pytest.fixture(scope="module")
def result(root) -> dict:
    return compare_entries(HDRI, BASELINE, root)


def detection_sets(path: Path, frames: list[str]) -> list[list[list]]:
    """One detection list per seed of the entry, over ``frames`` in order."""
    sets = [read_predictions(p, e) for p, e in prediction_entries(path, read_entry(path))]
    return [[predictions[f] for f in frames] for predictions in sets]


def test_per_frame_counts_add_up_to_the_breakdowns_count_at_the_operating_point(root, result):
    frames = split_frames(root, result["split"])
    ground_truth = [read_labels(root / "training" / "label_2" / f"{f}.txt") for f in frames]
    sets = {"a": detection_sets(HDRI, frames), "b": detection_sets(BASELINE, frames)}
    assert (len(sets["a"]), len(sets["b"]), result["n_frames"]) == (1, 3, 101)
    for iou, levels in result["background_fp_per_image"].items():
        for level, cell in levels.items():
            errors = result["errors"][iou][level]["background"]["at_operating_point"]
            for side in ("a", "b"):
                per_set = [background_per_frame(ground_truth, d, LEVEL_OF[level], float(iou)).sum()
                           for d in sets[side]]
                assert np.mean(per_set) == pytest.approx(errors[side]), (iou, level, side)
                assert cell[side] * len(frames) == pytest.approx(errors[side])
            assert cell["delta"] == pytest.approx(cell["a"] - cell["b"])
            assert cell["ci95"][0] <= cell["delta"] <= cell["ci95"][1]
            assert 0 <= cell["p_value"] <= 1
            expected = ("fewer" if cell["ci95"][1] < 0 else "more" if cell["ci95"][0] > 0
                        else "not distinguishable")
            assert cell["verdict"] == expected


def test_the_interval_reproduces_from_the_seed_and_says_the_headline_in_words(root, result):
    assert compare_entries(HDRI, BASELINE, root)["background_fp_per_image"] == result["background_fp_per_image"]
    cell = result["background_fp_per_image"]["0.5"]["easy"]
    words = in_words(result)
    assert f"{cell['a']:.2f} vs {cell['b']:.2f}, {cell['delta']:+.2f} [" in words
    assert f"p = {cell['p_value']:.2f}" in words.split("background false positives")[1]


def test_an_entry_against_itself_differs_by_nothing(capsys):
    assert main(["compare", str(HDRI), str(HDRI), "--json", "--resamples", "200"]) == 0
    background = json.loads(capsys.readouterr().out)["background_fp_per_image"]
    assert set(background) == {"0.5", "0.7"} and set(background["0.5"]) == set(LEVEL_OF)
    for levels in background.values():
        for cell in levels.values():
            assert cell["a"] == cell["b"] and cell["delta"] == 0 and cell["ci95"] == [0.0, 0.0]
            assert cell["p_value"] == 1.0 and cell["verdict"] == "not distinguishable"


def test_more_background_boxes_on_every_frame_is_more():
    ground_truth = [[] for _ in range(20)]  # no car: every box is background
    one = [[KittiObject("Car", (10.0, 10.0, 60.0, 60.0), score=0.9)] for _ in ground_truth]
    two = [dets * 2 for dets in one]
    cell = background_bootstrap(ground_truth, [two], [one], np.random.default_rng(0), 200)["0.5"]["easy"]
    assert (cell["a"], cell["b"], cell["delta"], cell["ci95"], cell["verdict"]) == (2, 1, 1, [1.0, 1.0], "more")
