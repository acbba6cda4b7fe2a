"""Every registered detector trains real iterations on real KITTI frames and predicts (no mocks)."""

import json

import pytest

from drbench.data.kitti import read_labels
from drbench.detectors.predict import predict
from drbench.paths import kitti_root

pytestmark = pytest.mark.slow
DETECTORS = ["faster_rcnn", "rfcn", "ssd"]


@pytest.mark.parametrize("detector", DETECTORS)
def test_training_runs_real_iterations_and_writes_a_checkpoint(trained, detector):
    run = trained(detector)
    assert run.checkpoint.is_file() and run.checkpoint.stat().st_size > 1_000_000
    coco = json.loads((run.work_dir / "train_coco.json").read_text())
    assert len(coco["images"]) == len(run.frames)
    logs = list(run.work_dir.glob("*/vis_data/scalars.json"))
    assert logs, "mmengine wrote no scalar log"
    losses = [json.loads(line)["loss"] for line in logs[0].read_text().splitlines()
              if "loss" in line]
    assert losses and all(loss == loss and 0 < loss < 100 for loss in losses)


@pytest.mark.parametrize("detector", DETECTORS)
def test_predict_writes_kitti_files_with_scores_for_any_image_size(trained, detector, tmp_path):
    run = trained(detector)
    out = tmp_path / "pred"
    written = predict(detector, run.checkpoint, kitti_root() / "training" / "image_2", out,
                      names=["000050", "000051"], image_scale=run.scale, score_thr=0.0,
                      progress=False)
    assert sorted(p.name for p in written) == ["000050.txt", "000051.txt"]
    boxes = [obj for path in written for obj in read_labels(path)]
    assert boxes, f"{detector} predicted nothing even at score 0"
    for obj in boxes:
        assert obj.type == "Car" and obj.score is not None and 0 <= obj.score <= 1
        left, top, right, bottom = obj.bbox
        assert 0 <= left <= right <= 1242 and 0 <= top <= bottom <= 375


def test_predict_names_a_missing_image_folder(trained, tmp_path):
    checkpoint = trained("faster_rcnn").checkpoint
    with pytest.raises(FileNotFoundError, match="no such image folder"):
        predict("faster_rcnn", checkpoint, tmp_path / "nowhere", tmp_path / "out", progress=False)
