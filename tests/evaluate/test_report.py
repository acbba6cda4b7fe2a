"""evaluate_dirs on real kitti-mini labels with predictions written to a temporary folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drbench.data.kitti import KittiObject, LabelError, read_labels, write_labels
from drbench.data.splits import SPLITS
from drbench.evaluate.report import evaluate_dirs


def write_predictions(root, out, rng, frames=SPLITS["real-test"], noisy=True):
    """Every labelled car (and van) as a detection, jittered, some missed, plus clutter."""
    out.mkdir(parents=True, exist_ok=True)
    for frame in frames:
        dets = []
        for obj in read_labels(root / "training" / "label_2" / f"{frame}.txt"):
            if obj.type not in ("Car", "Van") or (noisy and rng.random() < 0.15):
                continue
            box = np.array(obj.bbox) + (rng.normal(0, 4, 4) if noisy else 0)
            dets.append(KittiObject("Car", tuple(box), score=float(rng.uniform(0.3, 1)) if noisy else 1.0))
        for _ in range(5 if noisy else 0):
            left, top = rng.uniform(0, 1100), rng.uniform(120, 300)
            dets.append(KittiObject("Car", (left, top, left + 70, top + 50), score=float(rng.uniform(0, 0.8))))
        write_labels(out / f"{frame}.txt", dets)
    return out


def test_writes_eval_json_and_png_with_intervals_around_the_estimate(root, tmp_path):
    pred = write_predictions(root, tmp_path / "pred", np.random.default_rng(0))
    with pytest.warns(UserWarning, match=r"38 easy Car boxes.*AP11 90\.9 / AP40 92\.5"):
        report = evaluate_dirs(root, pred, out_dir=tmp_path / "out", bootstrap=100, seed=1)
    written = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert written == json.loads(json.dumps(report))
    assert (tmp_path / "out" / "pr_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(written["results"]) == {"0.5", "0.7"}
    for iou, levels in written["results"].items():
        assert set(levels) == {"easy", "moderate", "hard"}
        for level, r in levels.items():
            for key in ("ap11", "ap40"):
                low, high = r[f"{key}_ci95"]
                assert low <= r[key] <= high, (iou, level, key)
                assert 0 < r[key] < 100
            c = r["counts"]
            assert c["rule"] == "best_f1" and c["tp"] + c["fn"] <= c["n_gt"] == r["n_gt"]
    easy = written["results"]["0.5"]["easy"]
    assert (easy["n_gt"], easy["max_reachable_ap40"]) == (38, 92.5)
    assert written["results"]["0.5"]["moderate"]["max_reachable_ap40"] == 100.0
    assert written["bootstrap"] == {"resamples": 100, "seed": 1, "unit": "image", "confidence": 0.95,
                                    "interval": "percentile"}


def test_ground_truth_as_predictions_hits_the_reachable_maximum(root, tmp_path):
    pred = write_predictions(root, tmp_path / "pred", np.random.default_rng(0), noisy=False)
    with pytest.warns(UserWarning, match="at most AP11 90.9 / AP40 92.5 at easy"):
        report = evaluate_dirs(root, pred, bootstrap=20)
    for iou in ("0.5", "0.7"):
        easy, moderate = report["results"][iou]["easy"], report["results"][iou]["moderate"]
        assert easy["ap40"] == pytest.approx(92.5) and easy["ap11"] == pytest.approx(100 * 10 / 11)
        assert (moderate["ap11"], moderate["ap40"]) == (100.0, 100.0)
        assert easy["counts"]["fp"] == 0 and easy["counts"]["fn"] == 0


def test_missing_prediction_file_means_no_detections(root, tmp_path):
    rng = np.random.default_rng(3)
    pred = write_predictions(root, tmp_path / "pred", rng)
    (pred / "000060.txt").unlink()
    (pred / "000061.txt").unlink()
    with pytest.warns(UserWarning):
        missing = evaluate_dirs(root, pred, bootstrap=10)
    write_labels(pred / "000060.txt", [])
    write_labels(pred / "000061.txt", [])
    with pytest.warns(UserWarning):
        empty = evaluate_dirs(root, pred, bootstrap=10)
    assert missing["frames_without_predictions"] == 2 and empty["frames_without_predictions"] == 0
    assert missing["results"] == empty["results"]


def test_malformed_prediction_names_file_and_line(root, tmp_path):
    pred = write_predictions(root, tmp_path / "pred", np.random.default_rng(0))
    bad = pred / "000070.txt"
    bad.write_text("Car 0.00 0 -10.00 10.00 10.00 50.00 60.00 -1 -1 -1 -1000 -1000 -1000 -10 0.9\n"
                   "Car 0.00 0 -10.00 10.00 oops 50.00 60.00 -1 -1 -1 -1000 -1000 -1000 -10 0.9\n")
    with pytest.raises(LabelError, match=r"000070\.txt:2"):
        evaluate_dirs(root, pred, bootstrap=10)
    bad.write_text("Car 0.00 0 -10.00 10.00 10.00 50.00 60.00 -1 -1 -1 -1000 -1000 -1000 -10\n")
    with pytest.raises(LabelError, match=r"000070\.txt:1: prediction has no score"):
        evaluate_dirs(root, pred, bootstrap=10)


def test_bad_arguments(root, tmp_path):
    with pytest.raises(FileNotFoundError):
        evaluate_dirs(root, tmp_path / "nowhere")
    with pytest.raises(ValueError):
        evaluate_dirs(root, tmp_path, bootstrap=0)
    with pytest.warns(UserWarning) as caught:
        report = evaluate_dirs(root, tmp_path, bootstrap=5)
    assert any("no prediction file for any of the 51" in str(w.message) for w in caught)
    assert report["results"]["0.7"]["hard"]["ap40"] == 0.0
    assert report["results"]["0.7"]["hard"]["counts"]["rule"] == "all_detections"
