"""Real mmdet training steps and inference on real KITTI frames (no mocks)."""

import json

import pytest

from drbench.data.kitti import read_labels
from drbench.detectors.predict import predict
from drbench.detectors.train import train
from drbench.paths import kitti_root

pytestmark = pytest.mark.slow
FRAMES = ["000001", "000002", "000003", "000004"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = kitti_root()
    work_dir = tmp_path_factory.mktemp("train")
    checkpoint = train("faster_rcnn", [root], work_dir, max_iters=4, image_scale=(320, 97),
                       batch_size=2, frames={root: FRAMES}, seed=0)
    return root, work_dir, checkpoint


def test_training_runs_real_iterations_and_writes_a_checkpoint(trained):
    _, work_dir, checkpoint = trained
    assert checkpoint.is_file() and checkpoint.stat().st_size > 1_000_000
    coco = json.loads((work_dir / "train_coco.json").read_text())
    assert len(coco["images"]) == len(FRAMES)
    logs = list(work_dir.glob("*/vis_data/scalars.json"))
    assert logs, "mmengine wrote no scalar log"
    losses = [json.loads(line)["loss"] for line in logs[0].read_text().splitlines()
              if "loss" in line]
    assert losses and all(loss == loss and 0 < loss < 100 for loss in losses)


def test_predict_writes_kitti_files_with_scores_for_any_image_size(trained, tmp_path):
    root, _, checkpoint = trained
    out = tmp_path / "pred"
    written = predict("faster_rcnn", checkpoint, root / "training" / "image_2", out,
                      names=["000050", "000051"], image_scale=(320, 97), score_thr=0.0,
                      progress=False)
    assert sorted(p.name for p in written) == ["000050.txt", "000051.txt"]
    for path in written:
        for obj in read_labels(path):
            assert obj.type == "Car" and obj.score is not None and 0 <= obj.score <= 1
            left, top, right, bottom = obj.bbox
            assert 0 <= left <= right <= 1242 and 0 <= top <= bottom <= 375


def test_predict_names_a_missing_image_folder(trained, tmp_path):
    _, _, checkpoint = trained
    with pytest.raises(FileNotFoundError, match="no such image folder"):
        predict("faster_rcnn", checkpoint, tmp_path / "nowhere", tmp_path / "out", progress=False)
