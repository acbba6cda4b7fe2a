"""Load drbench's mmdet config files and apply a run's settings to them.

Detectors are data (mmdet config files under ``configs/``); a run only
changes where the data is, how long to train, and the image size.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from mmengine.config import Config

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
DETECTORS = {
    "faster_rcnn": CONFIG_DIR / "faster_rcnn_mobilenetv2_fpn.py",
    "faster_rcnn_noaug": CONFIG_DIR / "faster_rcnn_mobilenetv2_fpn_noaug.py",
    "faster_rcnn_fp32": CONFIG_DIR / "faster_rcnn_mobilenetv2_fpn_fp32.py",  # the recipe before issue 13
    "rfcn": CONFIG_DIR / "rfcn_mobilenetv2.py",
    "rfcn_ohem": CONFIG_DIR / "rfcn_mobilenetv2_ohem.py",
    "ssd": CONFIG_DIR / "ssdlite_mobilenetv2.py",
    # GPU profile: torchvision ImageNet ResNets (in torch hub's cache; see weights.py).
    "faster_rcnn_r50": CONFIG_DIR / "faster_rcnn_r50_fpn.py",
    "faster_rcnn_r101": CONFIG_DIR / "faster_rcnn_r101_fpn.py",
    "faster_rcnn_r101_noaug": CONFIG_DIR / "faster_rcnn_r101_fpn_noaug.py",
    "rfcn_r101": CONFIG_DIR / "rfcn_r101.py",
}


def config_path(detector: str | Path) -> Path:
    """A registered detector name, or a path to any mmdet config file."""
    if str(detector) in DETECTORS:
        return DETECTORS[str(detector)]
    path = Path(detector)
    if not path.is_file():
        raise FileNotFoundError(
            f"detector {detector!r}: neither a registered name ({', '.join(DETECTORS)}) "
            "nor an mmdet config file"
        )
    return path


def _set_resize_scale(pipeline: list, scale: tuple[int, int]) -> None:
    for step in pipeline:
        if step["type"] == "Resize":
            step["scale"] = tuple(scale)


def load_detector_config(detector: str | Path, image_scale: tuple[int, int] | None = None) -> Config:
    """The detector's config, with the train/test resize set to ``image_scale`` if given."""
    cfg = Config.fromfile(str(config_path(detector)))
    if image_scale is not None:
        cfg.image_scale = tuple(image_scale)
        _set_resize_scale(cfg.train_dataloader.dataset.pipeline, image_scale)
        _set_resize_scale(cfg.test_pipeline, image_scale)
        if cfg.get("test_dataloader"):
            _set_resize_scale(cfg.test_dataloader.dataset.pipeline, image_scale)
    return cfg


def config_digest(detector: str | Path) -> str:
    """Hash of the config as mmengine resolves it (bases included): cached training steps
    are keyed by what a detector is, so editing its file or a base retrains it."""
    blob = json.dumps(load_detector_config(detector).to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def set_schedule(cfg: Config, max_iters: int, lr: float | None = None,
                 warmup_iters: int = 50) -> None:
    """Iteration budget and learning rate; schedulers follow ``max_iters``."""
    cfg.train_cfg.max_iters = max_iters
    if lr is not None:
        cfg.optim_wrapper.optimizer.lr = lr
    warmup = min(warmup_iters, max(1, max_iters // 5))
    for scheduler in cfg.param_scheduler:
        if scheduler["type"] == "LinearLR":
            scheduler["end"] = warmup
        else:
            scheduler["end"] = max_iters
