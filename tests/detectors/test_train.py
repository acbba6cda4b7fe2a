"""Training options: clear data errors, ImageNet vs random init, a frozen backbone that stays
frozen, and resuming a killed run from its last checkpoint (real runs, no mocks)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from drbench.data.kitti import LabelError
from drbench.detectors import mmdet_fixes
from drbench.detectors.train import train, training_config
from drbench.paths import kitti_root

mmdet_fixes.apply()
from mmdet.registry import MODELS  # noqa: E402
from mmengine.runner.checkpoint import CheckpointLoader  # noqa: E402

CAR = "Car 0.00 0 0.00 100.00 100.00 200.00 160.00 1.50 1.60 3.90 0.00 1.60 20.00 0.00\n"


def imagenet_state() -> dict:
    """The ImageNet backbone as the MobileNetV2 configs load it: batch norm folded into the convs."""
    return CheckpointLoader.load_checkpoint("drbench://mobilenet_v2_imagenet_bn_folded")["state_dict"]


def kitti_folder(root: Path, labels: dict[str, str]) -> Path:
    """A flat KITTI-layout folder whose images are copies of real frames."""
    (root / "image_2").mkdir(parents=True)
    (root / "label_2").mkdir()
    real = kitti_root() / "training" / "image_2" / "000001.png"
    for frame, text in labels.items():
        (root / "image_2" / f"{frame}.png").write_bytes(real.read_bytes())
        (root / "label_2" / f"{frame}.txt").write_text(text)
    return root


def test_an_empty_folder_is_named(tmp_path):
    empty = kitti_folder(tmp_path / "empty", {})
    with pytest.raises(ValueError, match=f"{empty}: no frames to train on"):
        train("faster_rcnn", [empty], tmp_path / "work", max_iters=1)


def test_an_invalid_label_is_named_by_file_and_line(tmp_path):
    data = kitti_folder(tmp_path / "bad", {"000000": CAR, "000001": CAR + "Car 0 0 nope\n"})
    with pytest.raises(LabelError, match=r"bad/label_2/000001.txt:2"):
        train("faster_rcnn", [data], tmp_path / "work", max_iters=1)


def test_a_folder_without_a_single_car_is_refused(tmp_path):
    dontcare = "DontCare -1 -1 -10 10.00 10.00 50.00 50.00 -1 -1 -1 -1000 -1000 -1000 -10\n"
    data = kitti_folder(tmp_path / "nocars", {"000000": dontcare})
    with pytest.raises(ValueError, match="no Car box to learn from in 1 frames"):
        train("faster_rcnn", [data], tmp_path / "work", max_iters=1)


@pytest.mark.parametrize("init", ["imagenet", "random"])
def test_backbone_init_is_imagenet_or_random(tmp_path, init):
    cfg = training_config("faster_rcnn", tmp_path / "coco.json", tmp_path, max_iters=1, init=init)
    model = MODELS.build(cfg.model)
    model.init_weights()
    state, imagenet = model.backbone.state_dict(), imagenet_state()
    same = [torch.equal(state[key], imagenet[key]) for key in imagenet if key.endswith("conv.weight")]
    assert all(same) if init == "imagenet" else not any(same)
    # ImageNet's frozen batch norm is folded away; from scratch, batch norm is back and learns
    norms = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert (not norms) if init == "imagenet" else norms and not model.backbone.norm_eval


@pytest.mark.slow
def test_frozen_backbone_is_unchanged_by_training(tmp_path, trained):
    root = kitti_root()
    checkpoint = train("faster_rcnn", [root], tmp_path, max_iters=3, image_scale=(320, 97),
                       frames={root: ["000001", "000002"]}, freeze_backbone=True)
    imagenet = imagenet_state()
    frozen = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    for key, value in imagenet.items():  # weights and biases (batch norm folded in)
        torch.testing.assert_close(frozen[f"backbone.{key}"], value, rtol=0, atol=0, msg=key)
    # The same training without freezing moves the backbone.
    tuned = torch.load(trained("faster_rcnn").checkpoint, map_location="cpu",
                       weights_only=True)["state_dict"]
    assert not torch.equal(tuned["backbone.conv2.conv.weight"], imagenet["conv2.conv.weight"])


TRAIN_CHILD = """
import sys
from pathlib import Path
from drbench.detectors.train import train
root, work = Path(sys.argv[1]), Path(sys.argv[2])
train('faster_rcnn', [root], work, max_iters=12, image_scale=(320, 97), threads=1,
      frames={root: ['000001', '000002', '000003']}, checkpoint_every=2)
"""


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    root, work = kitti_root(), tmp_path / "work"
    child = subprocess.Popen([sys.executable, "-c", TRAIN_CHILD, str(root), str(work)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not (work / "last_checkpoint").is_file():
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no checkpoint within 300 s"
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    saved = Path((work / "last_checkpoint").read_text().strip())
    saved_iter = int(saved.stem.split("_")[1])
    assert saved_iter < 12, "the run finished before it could be killed"

    checkpoint = train("faster_rcnn", [root], work, max_iters=12, image_scale=(320, 97),
                       frames={root: ["000001", "000002", "000003"]}, checkpoint_every=2,
                       resume=True)
    assert checkpoint == work / "iter_12.pth"
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    assert state["meta"]["iter"] == 12
    logs = sorted(work.glob("*/*.log"))
    assert f"resumed epoch: 0, iter: {saved_iter}" in logs[-1].read_text()
