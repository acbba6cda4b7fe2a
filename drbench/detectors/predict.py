"""Run a trained detector over any folder of images and write KITTI-format predictions."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from mmdet.apis import inference_detector, init_detector
from rich.progress import Progress

from drbench.data.kitti import KittiObject, write_labels
from drbench.detectors import mmdet_fixes
from drbench.detectors.detection_limits import MAX_PER_IMAGE, SCORE_THRESHOLD
from drbench.detectors.mmdet_config import load_detector_config
from drbench.detectors.mmengine_output import mmengine_console

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def list_images(images_dir: Path, names: list[str] | None = None) -> list[Path]:
    """Images in a folder (sorted), optionally only the given frame ids."""
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise FileNotFoundError(f"{images_dir}: no such image folder")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if names is not None:
        wanted = set(names)
        images = [p for p in images if p.stem in wanted]
        missing = wanted - {p.stem for p in images}
        if missing:
            raise FileNotFoundError(f"{images_dir}: missing images for {sorted(missing)[:5]}")
    if not images:
        raise FileNotFoundError(f"{images_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return images


def load_detector(detector: str | Path, checkpoint: Path,
                  image_scale: tuple[int, int] | None = None) -> torch.nn.Module:
    """The trained mmdet model in eval mode (on the GPU if there is one), testing at ``image_scale``."""
    mmdet_fixes.apply()
    cfg = load_detector_config(detector, image_scale)
    cfg.model.backbone.init_cfg = None  # weights come from the checkpoint
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return init_detector(cfg, str(checkpoint), device=device)


def predict(
    detector: str | Path,
    checkpoint: Path,
    images_dir: Path,
    out_dir: Path,
    *,
    names: list[str] | None = None,
    image_scale: tuple[int, int] | None = None,
    score_thr: float = SCORE_THRESHOLD,
    threads: int | None = None,
    progress: bool = True,
    verbose: bool = False,
) -> list[Path]:
    """Write one KITTI label file (16 fields, with score) per image into ``out_dir``.

    ``verbose``: mmengine's checkpoint-loading messages on the terminal too.
    """
    torch.set_num_threads(threads or os.cpu_count() or 1)
    with mmengine_console(verbose):
        model = load_detector(detector, checkpoint, image_scale)
    class_names = model.dataset_meta["classes"]
    images = list_images(images_dir, names)
    out_dir = Path(out_dir)
    written = []
    with Progress(disable=not progress) as bar:
        task = bar.add_task("predict", total=len(images))
        for image in images:
            with torch.no_grad():
                result = inference_detector(model, str(image)).pred_instances
            keep = (result.scores >= score_thr).nonzero().flatten()
            keep = keep[result.scores[keep].argsort(descending=True)[:MAX_PER_IMAGE]]
            objects = [
                KittiObject(type=class_names[int(label)], bbox=tuple(float(v) for v in box),
                            score=float(score))
                for box, score, label in zip(result.bboxes[keep].tolist(),
                                             result.scores[keep].tolist(),
                                             result.labels[keep].tolist())
            ]
            written.append(write_labels(out_dir / f"{image.stem}.txt", objects))
            bar.advance(task)
    return written
