"""Multi-process training through mmengine's launcher: one process per GPU (or CPU share).

``launcher="pytorch"`` expects torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT): ``torchrun --nproc_per_node K -m drbench.cli train
--launcher pytorch ...``, on one or many nodes. mmengine then wraps the model in
DistributedDataParallel, gives each rank its slice of every epoch and saves
checkpoints from rank 0; ``--batch-size`` is per process.

mmengine's pytorch launcher assumes CUDA: it calls ``torch.cuda.set_device`` and
passes ``device_ids=[LOCAL_RANK]`` to DDP, which DDP refuses for a CPU model. On a
host without CUDA the gloo process group is started here instead (mmengine skips
its own start when one exists) and the model is wrapped without device ids.
"""

from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as torch_dist
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS

LAUNCHERS = ("none", "pytorch")
TORCHRUN_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
TIMEOUT = timedelta(minutes=30)  # mmengine's default for its own process group


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper for a CPU model: the ``device_ids`` mmengine passes are dropped."""

    def __init__(self, module, device_ids=None, **kwargs) -> None:
        super().__init__(module=module, **kwargs)


def configure(cfg, launcher: str) -> None:
    """Set ``cfg.launcher`` and, without CUDA, the gloo backend and the CPU wrapper."""
    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher must be one of {', '.join(LAUNCHERS)}, got {launcher!r}")
    cfg.launcher = launcher
    if launcher == "none":
        return
    missing = [name for name in TORCHRUN_ENV if name not in os.environ]
    if missing:
        raise ValueError(f"launcher 'pytorch' needs torchrun's environment, but {', '.join(missing)} "
                         "is not set: start it as `torchrun --nproc_per_node K -m drbench.cli train "
                         "--launcher pytorch ...`")
    if not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg = dict(backend="gloo", timeout=int(TIMEOUT.total_seconds()))
        cfg.model_wrapper_cfg = dict(type="CPUDistributedDataParallel")


def start(cfg) -> None:
    """Before the Runner is built: on a CPU host, start the gloo process group (see above)."""
    if cfg.get("launcher", "none") != "none" and not torch.cuda.is_available() and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend="gloo", timeout=TIMEOUT)


def local_processes() -> int:
    """Processes sharing this host (torchrun's LOCAL_WORLD_SIZE; 1 outside torchrun)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
