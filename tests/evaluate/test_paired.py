"""Paired bootstrap on real kitti-mini ground truth: the difference of two related
detectors is measured far more tightly than either detector's AP."""

from __future__ import annotations

import numpy as np
import pytest

from drbench.data.kitti import KittiObject, read_labels
from drbench.data.splits import SPLITS
from drbench.evaluate import devkit
from drbench.evaluate.bootstrap import bootstrap_ap
from drbench.evaluate.paired import paired_bootstrap, verdict
from drbench.paths import kitti_root

FRAMES = SPLITS["real-test"]


@pytest.fixture(scope="module")
def ground_truth():
    return [read_labels(kitti_root() / "training" / "label_2" / f"{f}.txt") for f in FRAMES]


def detector(ground_truth, seed: int, miss: float, clutter: int) -> list[list[KittiObject]]:
    """A detector's output on the real frames: jittered real cars (some missed) and
    high-scoring background boxes. ``seed`` fixes which frames are hard, as they
    would be for any model; two calls with one seed are two related models."""
    frame_rng = np.random.default_rng(seed)
    frames = []
    for gts in ground_truth:
        hard = frame_rng.random() < 0.35  # a frame that is hard for every model
        dets = []
        for obj in gts:
            if obj.type != "Car" or frame_rng.random() < miss + (0.4 if hard else 0.0):
                continue
            l, t, r, b = obj.bbox
            j = frame_rng.normal(0, 0.04 * (r - l), 4)
            dets.append(KittiObject("Car", (l + j[0], t + j[1], r + j[2], b + j[3]),
                                    score=float(frame_rng.uniform(0.3, 1.0))))
        for _ in range(clutter + (2 if hard else 0)):
            left, top = frame_rng.uniform(0, 1000), frame_rng.uniform(120, 250)
            dets.append(KittiObject("Car", (left, top, left + frame_rng.uniform(40, 200), top + 60),
                                    score=float(frame_rng.uniform(0.2, 0.95))))
        frames.append(dets)
    return frames


def degraded(frames: list[list[KittiObject]], seed: int, drop: float, clutter: float):
    """A related model: the same output, with some true boxes lost and a few more false ones."""
    rng = np.random.default_rng(seed)
    out = []
    for dets in frames:
        kept = [d for d in dets if rng.random() >= drop]
        for _ in range(rng.poisson(clutter)):
            left, top = rng.uniform(0, 1000), rng.uniform(120, 250)
            kept.append(KittiObject("Car", (left, top, left + 120, top + 60), score=float(rng.uniform(0.5, 1.0))))
        out.append(kept)
    return out


def packed(ground_truth, **kwargs):
    return devkit.pack(ground_truth, detector(ground_truth, **kwargs))


def width(interval) -> float:
    return interval[1] - interval[0]


def test_paired_interval_is_narrower_than_either_models_own(ground_truth):
    base = detector(ground_truth, seed=3, miss=0.1, clutter=0)
    a, b = devkit.pack(ground_truth, base), devkit.pack(ground_truth, degraded(base, 4, 0.15, 0.5))
    paired = paired_bootstrap([a], [b], np.random.default_rng(0), n_resamples=400)
    own_a = bootstrap_ap(a, np.random.default_rng(1), 400)
    own_b = bootstrap_ap(b, np.random.default_rng(1), 400)
    cell = paired[0.5]["easy"]["ap40"]
    assert cell["delta"] == pytest.approx(devkit.evaluate(a)[0.5]["easy"].ap40
                                          - devkit.evaluate(b)[0.5]["easy"].ap40)
    assert cell["ci95"][0] <= cell["delta"] <= cell["ci95"][1]
    assert width(cell["ci95"]) < width(own_a[0.5]["easy"]["ap40"])
    assert width(cell["ci95"]) < width(own_b[0.5]["easy"]["ap40"])
    assert verdict(cell) == "better" and cell["p_value"] < 0.05


def test_a_model_against_itself_is_not_distinguishable(ground_truth):
    a = packed(ground_truth, seed=3, miss=0.1, clutter=0)
    cell = paired_bootstrap([a], [a], np.random.default_rng(0), n_resamples=100)[0.7]["moderate"]["ap11"]
    assert cell["delta"] == 0 and cell["ci95"] == [0.0, 0.0] and cell["p_value"] == 1.0
    assert verdict(cell) == "not distinguishable"


def test_swapping_the_sides_mirrors_the_result(ground_truth):
    base = detector(ground_truth, seed=5, miss=0.1, clutter=1)
    a, b = devkit.pack(ground_truth, base), devkit.pack(ground_truth, degraded(base, 6, 0.1, 0.3))
    ab = paired_bootstrap([a], [b], np.random.default_rng(7), n_resamples=200)[0.5]["moderate"]["ap40"]
    ba = paired_bootstrap([b], [a], np.random.default_rng(7), n_resamples=200)[0.5]["moderate"]["ap40"]
    assert ba["delta"] == pytest.approx(-ab["delta"])
    assert ba["ci95"] == pytest.approx([-ab["ci95"][1], -ab["ci95"][0]])
    assert ba["p_value"] == pytest.approx(ab["p_value"])


def test_seeds_score_by_their_mean_and_widen_the_interval(ground_truth):
    base = detector(ground_truth, seed=3, miss=0.05, clutter=0)
    seeds_a = [devkit.pack(ground_truth, base), devkit.pack(ground_truth, degraded(base, 8, 0.3, 0.0))]
    b = devkit.pack(ground_truth, degraded(base, 9, 0.15, 0.5))
    with_seeds = paired_bootstrap(seeds_a, [b], np.random.default_rng(0), n_resamples=400)[0.5]["easy"]["ap40"]
    single = paired_bootstrap(seeds_a[:1], [b], np.random.default_rng(0), n_resamples=400)[0.5]["easy"]["ap40"]
    per_seed = [devkit.evaluate(run)[0.5]["easy"].ap40 for run in seeds_a]
    assert with_seeds["a"] == pytest.approx(np.mean(per_seed))
    assert width(with_seeds["ci95"]) > width(single["ci95"]), "seed spread must enter the interval"


def test_prediction_sets_on_different_frames_are_refused(ground_truth):
    a = packed(ground_truth, seed=3, miss=0.1, clutter=0)
    fewer = devkit.pack(ground_truth[:-1], detector(ground_truth[:-1], seed=3, miss=0.1, clutter=0))
    with pytest.raises(ValueError, match="same frames"):
        paired_bootstrap([a], [fewer], np.random.default_rng(0), n_resamples=10)
