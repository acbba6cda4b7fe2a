"""Train an mmdet detector on KITTI-layout folders (synthetic DR data or real frames)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from drbench.data.coco import write_coco_for_dirs
from drbench.detectors import mmdet_fixes
from drbench.detectors.config import load_config, set_schedule


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
) -> Path:
    """Train for ``max_iters`` iterations; returns the final checkpoint path.

    ``frames`` optionally limits a data dir to a frame list (e.g. real-train).
    ``load_from`` starts from an earlier checkpoint (fine-tuning).
    """
    mmdet_fixes.apply()
    from mmengine.runner import Runner

    torch.set_num_threads(threads or os.cpu_count() or 1)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    ann_file = write_coco_for_dirs(work_dir / "train_coco.json", data_dirs, frames=frames)

    cfg = load_config(detector, image_scale)
    set_schedule(cfg, max_iters, lr=lr)
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.batch_size = batch_size
    cfg.train_dataloader.dataset.ann_file = str(ann_file)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.load_from = str(load_from) if load_from else None
    if load_from:  # the fine-tuned checkpoint already holds the backbone
        cfg.model.backbone.init_cfg = None
    for key in ("test_dataloader", "test_cfg", "test_evaluator"):
        cfg.pop(key, None)
    cfg.default_hooks.logger.interval = max(1, min(10, max_iters // 5))

    runner = Runner.from_cfg(cfg)
    runner.train()
    checkpoint = work_dir / f"iter_{max_iters}.pth"
    if not checkpoint.is_file():
        raise RuntimeError(f"training finished but {checkpoint} was not written")
    return checkpoint
