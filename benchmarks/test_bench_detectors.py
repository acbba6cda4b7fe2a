"""Detector speed on the CPU at 640x194 (the smoke profile's scale), per registered detector.

* training: one real iteration (data pipeline with the paper's augmentations,
  forward, backward, SGD step; batch 2, real KITTI frames), without
  mmengine's hooks and logging; extra_info gives iterations/s.
* inference: bare mmdet ``inference_detector`` over 4 real-test frames on an
  already loaded model; extra_info gives images/s.
* predict: ``drbench predict`` over the same 4 frames and the same
  checkpoint, model loading and KITTI file writing included; compare with
  the inference entry of the same group for the wrapper's overhead.
* wrapper overhead: a short training run through ``drbench.detectors.train``
  (annotations, config, progress bar drawn to a terminal console, checkpoint)
  against the same mmdet config file run bare by mmengine's ``Runner``, same
  data and seed, rounds interleaved; the target is < 5 % (fastest round of each).

Run: python -m pytest benchmarks/test_bench_detectors.py --benchmark-only
Seconds depend heavily on other load on the machine and on torch's threads
(all cores here).
"""

from __future__ import annotations

import io
import os
import time

import pytest
import torch
from mmdet.apis import inference_detector
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from rich.console import Console

from drbench.data.splits import SPLITS
from drbench.detectors import mmdet_fixes
from drbench.detectors.predict import load_detector, predict
from drbench.detectors.train import train, training_config, write_training_annotations
from drbench.paths import kitti_root

pytestmark = pytest.mark.slow
SCALE = (640, 194)
DETECTORS = ["faster_rcnn", "rfcn", "ssd"]
TRAIN_FRAMES = SPLITS["real-train"][:8]
TEST_FRAMES = SPLITS["real-test"][:4]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """One-iteration checkpoint per detector (real weights layout and dataset meta)."""
    root = kitti_root()
    return {name: train(name, [root], tmp_path_factory.mktemp(f"ckpt-{name}"), max_iters=1,
                        image_scale=SCALE, frames={root: TRAIN_FRAMES})
            for name in DETECTORS}


@pytest.mark.parametrize("detector", DETECTORS)
def test_bench_train_iteration(benchmark, detector, tmp_path):
    mmdet_fixes.apply()
    torch.set_num_threads(os.cpu_count() or 1)
    root = kitti_root()
    ann_file = write_training_annotations(tmp_path / "coco.json", [root], {root: TRAIN_FRAMES})
    cfg = training_config(detector, ann_file, tmp_path, max_iters=100, image_scale=SCALE)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batches = iter(Runner.build_dataloader(cfg.train_dataloader, seed=0))

    benchmark.group = detector
    losses = benchmark.pedantic(lambda: model.train_step(next(batches), optim_wrapper),
                                rounds=4, warmup_rounds=1)
    assert all(torch.isfinite(v).all() for v in losses.values())
    benchmark.extra_info.update(batch_size=cfg.train_dataloader.batch_size, scale=SCALE,
                                iterations_per_s=1 / benchmark.stats.stats.mean)


@pytest.mark.parametrize("detector", DETECTORS)
def test_bench_inference(benchmark, detector, checkpoints):
    torch.set_num_threads(os.cpu_count() or 1)
    model = load_detector(detector, checkpoints[detector], SCALE)
    images = [str(kitti_root() / "training" / "image_2" / f"{f}.png") for f in TEST_FRAMES]

    def run():
        with torch.no_grad():
            return [inference_detector(model, image) for image in images]

    benchmark.group = detector
    results = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    assert len(results) == len(images)
    benchmark.extra_info.update(images=len(images),
                                images_per_s=len(images) / benchmark.stats.stats.mean)


@pytest.mark.parametrize("detector", DETECTORS)
def test_bench_predict(benchmark, detector, checkpoints, tmp_path):
    images_dir = kitti_root() / "training" / "image_2"
    benchmark.group = detector
    written = benchmark.pedantic(
        lambda: predict(detector, checkpoints[detector], images_dir, tmp_path / "pred",
                        names=TEST_FRAMES, image_scale=SCALE, progress=False),
        rounds=3, warmup_rounds=1)
    assert len(written) == len(TEST_FRAMES)
    benchmark.extra_info.update(images=len(TEST_FRAMES),
                                images_per_s=len(TEST_FRAMES) / benchmark.stats.stats.mean)


OVERHEAD_ITERS = 10


def test_bench_train_wrapper_overhead(benchmark, tmp_path):
    """drbench's train() vs ``Runner.from_cfg(Config.fromfile(the same config)).train()``."""
    mmdet_fixes.apply()
    root, frames = kitti_root(), {kitti_root(): TRAIN_FRAMES}
    threads = os.cpu_count() or 1
    ann_file = write_training_annotations(tmp_path / "coco.json", [root], frames)
    config_file = tmp_path / "bare_config.py"
    training_config("faster_rcnn", ann_file, tmp_path / "bare", OVERHEAD_ITERS,
                    image_scale=SCALE).dump(str(config_file))
    runs = iter(range(100))
    bare_seconds = []

    def bare() -> None:
        torch.set_num_threads(threads)
        start = time.perf_counter()
        cfg = Config.fromfile(str(config_file))
        cfg.work_dir = str(tmp_path / f"bare-{next(runs)}")
        Runner.from_cfg(cfg).train()
        bare_seconds.append(time.perf_counter() - start)

    def wrapped() -> None:
        console = Console(file=io.StringIO(), force_terminal=True)
        train("faster_rcnn", [root], tmp_path / f"drbench-{next(runs)}", OVERHEAD_ITERS,
              image_scale=SCALE, frames=frames, threads=threads, progress=True, console=console)

    bare()  # warm-up of both: imports, the converted ImageNet file, allocator
    wrapped()
    bare_seconds.clear()
    benchmark.group = "wrapper overhead"
    benchmark.pedantic(wrapped, setup=bare, rounds=3)  # bare, drbench, bare, drbench, ...
    overhead = benchmark.stats.stats.min / min(bare_seconds) - 1
    benchmark.extra_info.update(iters=OVERHEAD_ITERS, scale=SCALE, bare_min_s=min(bare_seconds),
                                drbench_min_s=benchmark.stats.stats.min, overhead=overhead)
    assert overhead < 0.05, f"drbench adds {overhead:.1%} to a bare mmengine run"
