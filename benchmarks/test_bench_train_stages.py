"""Where a training iteration's time goes, on the cpu profile's settings (batch 4, 800x242).

For each detector, a few real iterations on real KITTI frames (the paper's
augmentations, forward, backward, SGD step) are run under ``torch.profiler``
with one ``record_function`` per stage: data (loading, augmentation, batching,
the preprocessor), backbone, neck, RPN (forward, targets, loss, proposals) and
RoI head for the two-stage detectors or the dense head for SSD, backward, and
the optimizer step. ``extra_info`` holds seconds per iteration for each stage
(the profiler's CPU time of the stage, divided by the iterations) and the wall
time per iteration with the profiler off. Recipes are cumulative steps from the
old fp32 recipe to the cpu profile's (the configs as they are), so each
change's effect is on record: channels-last memory, bf16 autocast in the
backbone, batch norm folded into the convs, then fewer sampled RoIs and fewer
boxes into the RPN's NMS (Faster R-CNN and R-FCN). The augmentations' OpenCV
rewrite is in every recipe (the old numpy code is gone): the "data" stage shows it.

Run on an otherwise idle machine: python -m pytest benchmarks/test_bench_train_stages.py
--benchmark-json=.benchmarks/stages.json
"""

from __future__ import annotations

import copy
import os
import time

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from torch.profiler import ProfilerActivity, profile, record_function

from drbench.data.splits import SPLITS
from drbench.detectors import mmdet_fixes
from drbench.detectors.train import training_config, write_training_annotations
from drbench.paths import kitti_root
from drbench.profiles import PROFILES

pytestmark = pytest.mark.slow
CPU = PROFILES["cpu"]
ITERATIONS = 4
STAGES = ("data", "backbone", "neck", "rpn", "roi_head", "dense_head", "backward", "optimizer")
BATCH_NORM = {"model.backbone.norm_cfg": dict(_delete_=True, type="BN", requires_grad=True), "model.backbone.norm_eval": True,
              "model.backbone.init_cfg.checkpoint": "drbench://mobilenet_v2_imagenet"}
OLD_SAMPLING = {"model.train_cfg.rcnn.sampler.num": 256, "model.train_cfg.rpn_proposal.nms_pre": 1000}
# Each recipe undoes a suffix of the cpu recipe's changes: "cpu recipe" is the configs as they are.
RECIPES = {
    "fp32 (old)": {"model.backbone.channels_last": False, "model.backbone.autocast_dtype": None,
                   **BATCH_NORM, **OLD_SAMPLING},
    "channels-last": {"model.backbone.autocast_dtype": None, **BATCH_NORM, **OLD_SAMPLING},
    "+ bf16 backbone": {**BATCH_NORM, **OLD_SAMPLING},
    "+ folded batch norm": OLD_SAMPLING,
    "cpu recipe (+ 128 RoIs, 500 boxes per level into NMS)": {},
}


def build(detector: str, recipe: dict, tmp_path):
    """Model, optimizer wrapper and batches of the cpu profile's training run under ``recipe``."""
    mmdet_fixes.apply()
    root = kitti_root()
    ann_file = write_training_annotations(tmp_path / "coco.json", [root], {root: SPLITS["real-train"]})
    cfg = training_config(detector, ann_file, tmp_path, max_iters=CPU["max_iters"],
                          image_scale=tuple(CPU["image_scale"]), batch_size=CPU["batch_size"], lr=CPU["lr"])
    if detector == "ssd":  # one stage: no RoIs, no proposals
        recipe = {key: value for key, value in recipe.items() if not key.startswith("model.train_cfg")}
    cfg.merge_from_dict(recipe)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper), iter(Runner.build_dataloader(cfg.train_dataloader,
                                                                                               seed=0))


def iteration(model, optim_wrapper, batches) -> None:
    """One training step, mmdet's ``loss`` spelled out stage by stage."""
    with record_function("data"):
        data = model.data_preprocessor(next(batches), True)
        inputs, samples = data["inputs"], data["data_samples"]
    losses = {}
    with record_function("backbone"):  # channels-last and bf16 happen inside, when configured
        features = model.backbone(inputs)
    with record_function("neck"):
        features = model.neck(features)
    if hasattr(model, "rpn_head"):
        with record_function("rpn"):
            rpn_samples = copy.deepcopy(samples)
            for sample in rpn_samples:
                sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
            rpn_losses, proposals = model.rpn_head.loss_and_predict(
                features, rpn_samples, proposal_cfg=model.train_cfg.rpn_proposal)
            losses.update(rpn_losses)
        with record_function("roi_head"):
            losses.update(model.roi_head.loss(features, proposals, samples))
    else:
        with record_function("dense_head"):
            losses.update(model.bbox_head.loss(features, samples))
    loss, _ = model.parse_losses(losses)
    with record_function("backward"):
        optim_wrapper.backward(loss)
    with record_function("optimizer"):
        optim_wrapper.step()
        optim_wrapper.zero_grad()


@pytest.mark.parametrize("recipe", RECIPES)
@pytest.mark.parametrize("detector", ["faster_rcnn", "rfcn", "ssd"])
def test_bench_train_stages(benchmark, detector, recipe, tmp_path):
    torch.set_num_threads(os.cpu_count() or 1)
    model, optim_wrapper, batches = build(detector, RECIPES[recipe], tmp_path)
    step = lambda: iteration(model, optim_wrapper, batches)  # noqa: E731
    step()  # warm-up: allocator, oneDNN primitives
    with profile(activities=[ProfilerActivity.CPU]) as profiled:
        for _ in range(ITERATIONS):
            step()
    stages = {event.key: round(event.cpu_time_total / 1e6 / ITERATIONS, 3)
              for event in profiled.key_averages() if event.key in STAGES}
    start = time.perf_counter()
    benchmark.pedantic(step, rounds=ITERATIONS, iterations=1)
    benchmark.group = f"train stages: {detector}"
    benchmark.extra_info.update(detector=detector, recipe=recipe, batch_size=CPU["batch_size"],
                                scale=CPU["image_scale"], s_per_iter_profiled_stages=stages,
                                s_per_iter=round((time.perf_counter() - start) / ITERATIONS, 3))
    assert stages["backbone"] > 0 and stages["backward"] > 0
