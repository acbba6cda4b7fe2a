"""Training through mmengine's launcher: torchrun with 2 CPU processes (gloo) on real KITTI frames."""

import subprocess
import sys

import pytest
import torch

from drbench.detectors.predict import load_detector
from drbench.detectors.train import training_config
from drbench.paths import kitti_root

pytestmark = pytest.mark.slow


def test_torchrun_trains_with_two_processes_and_writes_a_loadable_checkpoint(tmp_path):
    work = tmp_path / "work"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "drbench.cli", "train", "--launcher", "pytorch", "--data", str(kitti_root()),
               "--work-dir", str(work), "--iters", "3", "--batch-size", "1", "--scale", "320x97"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    checkpoint = work / "iter_3.pth"
    for rank in (0, 1):  # both processes finished training
        assert f"rank {rank} of 2: checkpoint: {checkpoint}" in output.replace("\n", ""), output[-4000:]
    log = next(work.glob("*/*.log")).read_text()
    assert "Distributed training: True" in log and "GPU number: 2" in log  # mmengine's world size
    assert "backend': 'gloo'" in log and "CPUDistributedDataParallel" in log
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    assert saved["meta"]["iter"] == 3
    loaded = load_detector("faster_rcnn", checkpoint, (320, 97)).state_dict()
    assert set(loaded) == set(saved["state_dict"])  # saved unwrapped: no DDP "module." prefix
    assert all(torch.equal(loaded[key], value) for key, value in saved["state_dict"].items())


def test_launcher_pytorch_outside_torchrun_is_a_clear_error(tmp_path, monkeypatch):
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="torchrun.*RANK, LOCAL_RANK, WORLD_SIZE"):
        training_config("faster_rcnn", tmp_path / "coco.json", tmp_path, 3, launcher="pytorch")
    with pytest.raises(ValueError, match="launcher must be one of none, pytorch"):
        training_config("faster_rcnn", tmp_path / "coco.json", tmp_path, 3, launcher="slurm")
