"""Every runtime fix drbench needs for mmdet 3.3 / mmengine 0.10.7 on torch 2.14, in one place.

Nothing here edits site-packages or turns torch.load's safety off:

* torch >= 2.6 loads checkpoints with ``weights_only=True``, which rejects the
  few mmengine/numpy globals that mmengine checkpoints pickle (message hub,
  history buffers, whose statistics methods pickle as ``getattr(HistoryBuffer,
  name)``). Exactly those are allow-listed with ``add_safe_globals``.
* ``drbench://`` checkpoint URLs (offline ImageNet backbones) are registered
  with mmengine's CheckpointLoader.
* mmdet's SSDHead fails at inference (no ``loss_cls``): ``DrbenchSSDHead``
  (``ssd_head``) fixes it by subclassing, never by editing mmdet.
* drbench's modules are registered: ``TorchvisionRoIExtractor`` (torchvision's
  threaded RoIAlign), the paper's augmentations (``transforms``), the
  stride-16 / fully freezable MobileNetV2 (``backbones``) and R-FCN's
  position-sensitive RoI head (``rfcn``) and the training progress bar
  (``progress``).
* mmdet's modules are registered (``register_all_modules``) so configs resolve.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from mmdet.utils import register_all_modules
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

import drbench.detectors.backbones  # noqa: F401  (registers DrbenchMobileNetV2)
import drbench.detectors.progress  # noqa: F401  (registers RichProgressHook)
import drbench.detectors.rfcn  # noqa: F401  (registers PSRoIHead, RFCNBBoxHead)
import drbench.detectors.roi_extractor  # noqa: F401  (registers TorchvisionRoIExtractor)
import drbench.detectors.ssd_head  # noqa: F401  (registers DrbenchSSDHead)
import drbench.detectors.transforms  # noqa: F401  (registers the paper's augmentations)
from drbench.detectors.weights import SCHEME, load_drbench_scheme


@functools.cache
def apply() -> None:
    """Idempotent: safe to call from every entry point."""
    torch.serialization.add_safe_globals([
        HistoryBuffer,
        getattr,
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *(type(np.dtype(code)) for code in "?bBhHiIlLqQefdgFDGO"),
    ])
    CheckpointLoader.register_scheme(prefixes=SCHEME, loader=load_drbench_scheme, force=True)
    register_all_modules(init_default_scope=True)
