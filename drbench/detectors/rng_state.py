"""Resuming a killed training run continues the same run, bit for bit.

mmengine's resume restores the weights, the optimizer, the schedule and the
data order (it replays the data loader, so drbench's augmentations, which draw
from their own generators, replay too), but re-seeds the global generators the
model draws from while it trains: Faster R-CNN's RPN and RoI samplers pick
their anchors and proposals with ``torch.randperm``. A resumed run then drifts
from the run it continues (measured: the fine-tune study's real-only arm at
N = 10, resumed at iteration 200 of 1000, scored 63.0 AP40 where the same
run uninterrupted scores 65.0). This hook stores those generators' states in
every checkpoint and puts them back before the first iteration after a resume.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from mmengine.hooks import Hook

KEY = "drbench_rng_state"


def global_rng_state() -> dict:
    """Python's, numpy's and torch's global generator states, as plain values and tensors (a
    checkpoint is read back with ``torch.load(weights_only=True)``)."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {"python": random.getstate(), "torch": torch.get_rng_state(),
            "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached]}


def set_global_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))


def holds_rng_state(checkpoint: str | Path) -> bool:
    """Whether a run can resume from ``checkpoint`` as the same run (older checkpoints cannot)."""
    return KEY in torch.load(checkpoint, map_location="cpu", weights_only=True)


class RngStateHook(Hook):
    """``resuming``: this run continues from a checkpoint (not ``load_from``, which starts a new
    run from another run's weights and keeps its own seed)."""

    priority = "VERY_HIGH"  # the state goes back before any other hook of the first iteration draws

    def __init__(self, resuming: bool) -> None:
        self.resuming = resuming
        self.pending: dict | None = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[KEY] = global_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.resuming:
            self.pending = checkpoint[KEY]  # checked by holds_rng_state before choosing to resume

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.pending is not None:
            set_global_rng_state(self.pending)
            self.pending = None
