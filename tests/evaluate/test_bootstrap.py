"""Bootstrap over images: each resample's AP must equal a direct devkit run on that resample."""

from __future__ import annotations

import numpy as np
import pytest

from drbench.data.kitti import KittiObject
from drbench.evaluate import bootstrap, devkit


def random_frames(rng: np.random.Generator, n_frames: int):
    gts, dets = [], []
    for _ in range(n_frames):
        frame_gt = []
        for _ in range(int(rng.integers(0, 6))):
            kind = str(rng.choice(["Car", "Car", "Car", "Van", "DontCare", "Pedestrian"]))
            left, top = float(rng.integers(0, 300)), float(rng.integers(0, 100))
            frame_gt.append(KittiObject(kind, (left, top, left + rng.integers(10, 90), top + rng.integers(20, 90)),
                                        truncated=float(rng.choice([0.0, 0.2, 0.4])),
                                        occluded=int(rng.integers(0, 3))))
        frame_det = []
        for _ in range(int(rng.integers(0, 8))):
            if frame_gt and rng.random() < 0.7:
                l, t, r, b = frame_gt[int(rng.integers(len(frame_gt)))].bbox
                box = (l + rng.integers(-8, 9), t + rng.integers(-8, 9), r, b)
            else:
                left, top = float(rng.integers(0, 300)), float(rng.integers(0, 100))
                box = (left, top, left + 50, top + float(rng.choice([20, 30, 45])))
            frame_det.append(KittiObject("Car", tuple(map(float, box)), score=float(rng.integers(0, 20)) / 20))
        gts.append(frame_gt)
        dets.append(frame_det)
    return gts, dets


@pytest.mark.parametrize("seed", range(5))
def test_each_resample_equals_direct_evaluation(seed):
    gts, dets = random_frames(np.random.default_rng(seed), 12)
    frames = devkit.pack(gts, dets)
    samples = bootstrap.bootstrap_samples(frames, np.random.default_rng(100 + seed), n_resamples=15)
    indices = bootstrap.resample_indices(frames.n_frames, 15, np.random.default_rng(100 + seed))
    for b, index in enumerate(indices):
        direct = devkit.evaluate(devkit.pack([gts[i] for i in index], [dets[i] for i in index]))
        for iou, by_level in direct.items():
            for level, result in by_level.items():
                assert samples[iou][level]["ap11"][b] == pytest.approx(result.ap11, abs=1e-9)
                assert samples[iou][level]["ap40"][b] == pytest.approx(result.ap40, abs=1e-9)


def test_passes_split_many_resamples_without_changing_them():
    gts, dets = random_frames(np.random.default_rng(9), 10)
    frames = devkit.pack(gts, dets)
    whole = bootstrap.bootstrap_samples(frames, np.random.default_rng(1), n_resamples=23)
    split = bootstrap.bootstrap_samples(frames, np.random.default_rng(1), n_resamples=23,
                                        lookups_per_pass=40)  # 4 resamples per pass
    for iou in whole:
        for level in whole[iou]:
            assert split[iou][level]["ap40"].tolist() == whole[iou][level]["ap40"].tolist()


def test_same_generator_seed_same_interval_and_interval_is_ordered():
    gts, dets = random_frames(np.random.default_rng(4), 20)
    frames = devkit.pack(gts, dets)
    first = bootstrap.bootstrap_ap(frames, np.random.default_rng(5), n_resamples=50)
    again = bootstrap.bootstrap_ap(frames, np.random.default_rng(5), n_resamples=50)
    assert first == again
    low, high = first[0.5]["moderate"]["ap40"]
    assert 0.0 <= low <= high <= 100.0


def test_percentile_interval_and_argument_checks():
    assert bootstrap.percentile_interval(np.arange(101.0)) == pytest.approx((2.5, 97.5))
    with pytest.raises(ValueError):
        bootstrap.resample_indices(0, 10, np.random.default_rng(0))
    with pytest.raises(ValueError):
        bootstrap.resample_indices(10, 0, np.random.default_rng(0))
