"""The paper profile, shortened, on a CUDA GPU: generation images/s and training iterations/s.

Run where a GPU is: python -m pytest benchmarks/test_bench_gpu.py --benchmark-json=.benchmarks/gpu.json
Skipped where torch sees no CUDA device (the development machines).

* generation: ``N_IMAGES`` DR images at the paper profile's size, samples and engine
  (``auto``: EEVEE on a hardware GPU context, else Cycles on OptiX/CUDA) with one
  worker; ``extra_info`` holds images/s end to end and steady (from the label files'
  times, worker start excluded), the engine used and the GPU. The paper's generator
  made 30 images/s at 1200x400.
* training: one real iteration of the paper profile's detector (ResNet-101 Faster
  R-CNN) at its scale and batch on real KITTI frames with the paper's augmentations;
  the backbone starts from random weights, which costs the same time as ImageNet's and
  needs no download; ``extra_info`` holds iterations/s and images/s.
"""

from __future__ import annotations

import time

import pytest
import torch

from drbench.data.splits import SPLITS
from drbench.detectors import mmdet_fixes
from drbench.detectors.train import training_config, write_training_annotations
from drbench.generate import Settings, generate
from drbench.paths import kitti_root
from drbench.profiles import profile

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU: run it on a GPU machine")]
PAPER = profile("paper")
N_IMAGES = 60


def test_bench_gpu_generation(benchmark, tmp_path_factory):
    settings = Settings(width=PAPER["width"], height=PAPER["height"], samples=PAPER["samples"],
                        engine=PAPER["engine"])
    stamps = {}

    def run():
        out = tmp_path_factory.mktemp("gpu-gen")
        started = time.perf_counter()
        stamps["result"] = generate(out, N_IMAGES, seed=0, settings=settings, progress=False)
        stamps["wall"] = time.perf_counter() - started
        done = sorted(p.stat().st_mtime for p in (out / "label_2").glob("*.txt"))
        stamps["steady"] = (len(done) - 1) / (done[-1] - done[0])

    benchmark.pedantic(run, rounds=1, iterations=1)
    result = stamps["result"]
    assert result["generated"] == N_IMAGES, result["failed"]
    benchmark.extra_info.update(
        images=N_IMAGES, size=[settings.width, settings.height], samples=settings.samples,
        engine=result["engine"], gpu=torch.cuda.get_device_name(0),
        images_per_s=N_IMAGES / stamps["wall"], steady_images_per_s=stamps["steady"],
        paper_images_per_s=30.0)


def test_bench_gpu_training_iteration(benchmark, tmp_path):
    mmdet_fixes.apply()
    from mmdet.registry import MODELS
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner

    root = kitti_root()
    frames = SPLITS["real-train"][:2 * PAPER["batch_size"]]
    ann_file = write_training_annotations(tmp_path / "coco.json", [root], {root: frames})
    cfg = training_config(PAPER["detector"], ann_file, tmp_path, max_iters=100,
                          image_scale=tuple(PAPER["image_scale"]), batch_size=PAPER["batch_size"],
                          lr=PAPER["lr"], init="random")
    model = MODELS.build(cfg.model).cuda()
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batches = iter(Runner.build_dataloader(cfg.train_dataloader, seed=0))

    def step():
        losses = model.train_step(next(batches), optim_wrapper)
        torch.cuda.synchronize()
        return losses

    losses = benchmark.pedantic(step, rounds=10, warmup_rounds=2)
    assert all(torch.isfinite(v).all() for v in losses.values())
    per_s = 1 / benchmark.stats.stats.mean
    benchmark.extra_info.update(detector=PAPER["detector"], batch_size=PAPER["batch_size"],
                                scale=list(PAPER["image_scale"]), gpu=torch.cuda.get_device_name(0),
                                iterations_per_s=per_s, images_per_s=per_s * PAPER["batch_size"])
