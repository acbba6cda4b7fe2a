"""Train an mmdet detector on KITTI-layout folders (synthetic DR data or real frames).

The paper's training regimes are options of one function: ImageNet or random
backbone init, backbone frozen or fine-tuned, starting from an earlier
checkpoint (fine-tuning: ``load_from`` with a tenth of the lr on
``drbench.data.splits.nested_subset`` frames, as the fine-tune protocol does),
and resuming a killed run from the last checkpoint in its work dir (the same
run, bit for bit: see rng_state.py).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.dist import barrier
from mmengine.logging import print_log
from mmengine.runner import Runner, find_latest_checkpoint
from rich.console import Console

from drbench.data.coco import frame_dirs, list_frame_ids, write_coco_for_dirs
from drbench.detectors import distributed, mmdet_fixes
from drbench.detectors.backbones import all_stages
from drbench.detectors.mmdet_config import load_detector_config, set_schedule
from drbench.detectors.mmengine_output import mmengine_console
from drbench.detectors.progress import RichProgressHook
from drbench.detectors.rng_state import RngStateHook, holds_rng_state
from drbench.detectors.train_events import TrainEventsHook
from drbench.detectors.transforms import seed_augmentations
from drbench.detectors.weights import require_checkpoints
from drbench.events import EventLog

INITS = ("imagenet", "random")


def write_training_annotations(path: Path, data_dirs: list[Path],
                               frames: dict[Path, list[str]] | None = None) -> Path:
    """COCO file for the run; an empty folder or one without a single positive box is an error.

    Malformed label lines raise ``drbench.data.kitti.LabelError`` naming file:line.
    """
    limits = {Path(k).resolve(): v for k, v in (frames or {}).items()}
    for data_dir in map(Path, data_dirs):
        wanted = limits.get(data_dir.resolve())
        if not (wanted if wanted is not None else list_frame_ids(data_dir)):
            raise ValueError(f"{data_dir}: no frames to train on (no label files in "
                             f"{frame_dirs(data_dir)[1]}, or an empty frame list)")
    path = write_coco_for_dirs(path, data_dirs, frames=frames)
    coco = json.loads(path.read_text())
    if not any(not ann["iscrowd"] for ann in coco["annotations"]):
        names = ", ".join(c["name"] for c in coco["categories"])
        raise ValueError(f"{', '.join(map(str, data_dirs))}: no {names} box to learn from "
                         f"in {len(coco['images'])} frames (only ignored or other classes)")
    return path


def training_config(
    detector: str | Path,
    ann_file: Path,
    work_dir: Path,
    max_iters: int,
    *,
    image_scale: tuple[int, int] | None = None,
    batch_size: int = 2,
    lr: float | None = None,
    seed: int = 0,
    load_from: Path | None = None,
    init: str = "imagenet",
    freeze_backbone: bool = False,
    resume: bool = False,
    checkpoint_every: int | None = None,
    launcher: str = "none",
    deterministic: bool = False,
) -> Config:
    """The full mmengine config of a training run (see :func:`train` for the options)."""
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    cfg = load_detector_config(detector, image_scale)
    set_schedule(cfg, max_iters, lr=lr)
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.batch_size = batch_size
    cfg.train_dataloader.dataset.ann_file = str(ann_file)
    seed_augmentations(cfg.train_dataloader.dataset.pipeline, seed)
    cfg.randomness = dict(seed=seed, deterministic=deterministic)

    backbone = cfg.model.backbone
    if init == "random":  # mmdet's Kaiming init; BN (folded away for ImageNet init) must learn
        backbone.update(init_cfg=None, frozen_stages=-1, norm_eval=False,
                        norm_cfg=dict(type="BN", requires_grad=True))
    if freeze_backbone:  # the paper's frozen feature extractor: weights (and any BN statistics) fixed
        backbone.update(frozen_stages=all_stages(backbone), norm_eval=True)

    last = find_latest_checkpoint(str(work_dir)) if resume else None
    if last and not holds_rng_state(last):
        print_log(f"{last} holds no random state (written before drbench stored one): resuming from it "
                  "would not continue the same run, so training starts again from iteration 0",
                  logger="current", level=logging.WARNING)
        last = None
    cfg.resume = last is not None
    cfg.load_from = last or (str(load_from) if load_from else None)
    if cfg.load_from:  # the checkpoint already holds the backbone
        backbone.init_cfg = None
    require_checkpoints(cfg.model)  # a missing ImageNet file fails here, not mid-build
    if checkpoint_every:
        cfg.default_hooks.checkpoint.interval = checkpoint_every
    for key in ("test_dataloader", "test_cfg", "test_evaluator"):
        cfg.pop(key, None)
    cfg.default_hooks.logger.interval = max(1, min(10, max_iters // 5))
    distributed.configure(cfg, launcher)
    return cfg


def train(
    detector: str | Path,
    data_dirs: list[Path],
    work_dir: Path,
    max_iters: int,
    *,
    image_scale: tuple[int, int] | None = None,
    batch_size: int = 2,
    lr: float | None = None,
    seed: int = 0,
    load_from: Path | None = None,
    frames: dict[Path, list[str]] | None = None,
    threads: int | None = None,
    init: str = "imagenet",
    freeze_backbone: bool = False,
    resume: bool = False,
    checkpoint_every: int | None = None,
    launcher: str = "none",
    deterministic: bool = False,
    progress: bool | None = None,
    console: Console | None = None,
    events: EventLog | None = None,
    verbose: bool = False,
) -> Path:
    """Train for ``max_iters`` iterations; returns the final checkpoint path.

    ``frames`` optionally limits a data dir to a frame list (e.g. real-train).
    ``load_from`` starts from an earlier checkpoint (fine-tuning). ``init``:
    ``imagenet`` (the offline ImageNet MobileNetV2) or ``random``.
    ``freeze_backbone`` keeps the whole backbone, BN statistics included,
    fixed. ``resume`` continues from the last checkpoint in ``work_dir`` (a
    killed run; same ``max_iters``), or starts afresh when there is none;
    ``checkpoint_every`` saves every K iterations so there is one.
    ``launcher`` "pytorch": one of several processes started by torchrun (see distributed.py).
    ``deterministic``: torch's deterministic algorithms and cuDNN settings;
    ops that have none (CUDA backward of PSRoIAlign, see docs/detectors.md) warn.
    ``progress``: a rich bar with iteration, loss and ETA on ``console``
    (None: only when it is a terminal).
    ``events``: the run's event log gets ``train_start``, ``train_progress`` at every
    logging interval, and ``train_stop``.
    ``verbose``: mmengine's environment report, config and iteration log on the
    terminal too (they always go to its log file, whose path is printed).
    """
    mmdet_fixes.apply()
    torch.set_num_threads(threads or max(1, (os.cpu_count() or 1) // distributed.local_processes()))
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    ann_file = write_training_annotations(work_dir / "train_coco.json", data_dirs, frames)
    with mmengine_console(verbose):  # it says whether it found a checkpoint to resume
        cfg = training_config(detector, ann_file, work_dir, max_iters, image_scale=image_scale,
                              batch_size=batch_size, lr=lr, seed=seed, load_from=load_from,
                              init=init, freeze_backbone=freeze_backbone, resume=resume,
                              checkpoint_every=checkpoint_every, launcher=launcher,
                              deterministic=deterministic)
    if deterministic:  # cuBLAS needs this before its first call to be deterministic
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    distributed.start(cfg)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    with mmengine_console(verbose):
        runner = Runner.from_cfg(cfg)  # seeds everything; deterministic=True turns torch's switch on
    if not verbose:
        log_file = Path(runner.log_dir) / f"{runner.timestamp}.log"
        shown = os.path.relpath(log_file) if log_file.is_relative_to(Path.cwd()) else log_file
        (console or Console(stderr=True)).print(f"  training log: {shown}", highlight=False)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    runner.register_hook(RichProgressHook(progress, console))
    runner.register_hook(RngStateHook(resuming=cfg.resume))
    if events is not None:
        runner.register_hook(TrainEventsHook(events, str(detector), cfg.default_hooks.logger.interval))
    try:
        with mmengine_console(verbose):
            runner.train()
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
    barrier()  # rank 0 writes the checkpoint; the others wait for it
    checkpoint = work_dir / f"iter_{max_iters}.pth"
    if not checkpoint.is_file():
        raise RuntimeError(f"training finished but {checkpoint} was not written")
    return checkpoint
