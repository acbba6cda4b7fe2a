"""Benchmark: devkit evaluation of 500 frames x 100 detections, both IoUs, three levels.

Target: under 1 s per round on the project's 2-core machine (run with
``--benchmark-json`` and read the mean). Unit tests assert nothing about time.
"""

from __future__ import annotations

import numpy as np

from drbench.data.kitti import KittiObject
from drbench.evaluate import devkit

N_FRAMES = 500
N_DETECTIONS = 100
WIDTH, HEIGHT = 1242, 375


def synthetic_frames(rng: np.random.Generator) -> tuple[list[list[KittiObject]], list[list[KittiObject]]]:
    """KITTI-like frames: up to 15 labelled objects; 100 detections, clustered on them plus clutter."""
    gts, dets = [], []
    kinds = ["Car"] * 6 + ["Van", "Pedestrian", "DontCare", "Truck"]
    for _ in range(N_FRAMES):
        frame_gt = []
        for _ in range(int(rng.integers(0, 16))):
            w, h = rng.uniform(20, 300), rng.uniform(15, 180)
            left, top = rng.uniform(0, WIDTH - w), rng.uniform(100, HEIGHT - h)
            frame_gt.append(KittiObject(type=str(rng.choice(kinds)), bbox=(left, top, left + w, top + h),
                                        truncated=float(rng.choice([0.0, 0.0, 0.2, 0.4, 0.8])),
                                        occluded=int(rng.integers(0, 4))))
        frame_det = []
        for obj in frame_gt:  # a few jittered boxes per object, like a detector before NMS
            for _ in range(int(rng.integers(1, 5))):
                l, t, r, b = obj.bbox
                jitter = rng.normal(0, 0.08, 4) * np.array([r - l, b - t, r - l, b - t])
                box = np.array([l, t, r, b]) + jitter
                frame_det.append(KittiObject(type="Car", bbox=(box[0], box[1], max(box[0], box[2]),
                                                               max(box[1], box[3])),
                                             score=float(rng.uniform(0.3, 1.0))))
        while len(frame_det) < N_DETECTIONS:  # low-scoring clutter
            w, h = rng.uniform(10, 200), rng.uniform(10, 150)
            left, top = rng.uniform(0, WIDTH - w), rng.uniform(0, HEIGHT - h)
            frame_det.append(KittiObject(type="Car", bbox=(left, top, left + w, top + h),
                                         score=float(rng.uniform(0.0, 0.6))))
        gts.append(frame_gt)
        dets.append(frame_det[:N_DETECTIONS])
    return gts, dets


def evaluate_all(gts, dets):
    return devkit.evaluate(devkit.pack(gts, dets))


def test_bench_evaluate_500_frames(benchmark):
    gts, dets = synthetic_frames(np.random.default_rng(0))
    result = benchmark.pedantic(evaluate_all, args=(gts, dets), rounds=5, warmup_rounds=1)
    assert set(result) == {0.5, 0.7}
    assert 0.0 < result[0.5]["moderate"].ap40 < 100.0
