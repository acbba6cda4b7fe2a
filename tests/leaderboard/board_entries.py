"""Leaderboard entries for tests, without training a detector.

``ENTRY`` is a complete schema-v1 entry (the board's oldest sealed entries are v1).
``write_model`` seals a schema-v3 entry with its predictions archived beside it.
The v2 entries are real: the "detector" is real KITTI's own real-test labels written
as predictions (optionally with every box shifted sideways), scored by the real devkit
evaluation; the entry's training data is a real fingerprint of a real folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tarfile
import warnings
from pathlib import Path

import numpy as np

from drbench.data.kitti import KittiObject, read_labels, write_labels
from drbench.data.splits import SPLITS, list_frames
from drbench.evaluate.report import evaluate_dirs
from drbench.generate.stats import fingerprint
from drbench.leaderboard.entries import dataset_record, pr_curves, write_entry
from drbench.protocols.runner import TEST_SPLIT, leaderboard_scores
from drbench.provenance import git_commit, hardware, versions

LEVEL = {"ap11": 10.0, "ap40": 8.0, "ap11_ci95": [5.0, 15.0], "ap40_ci95": [4.0, 12.0], "n_gt": 38}
ENTRY = {
    "run_id": "dr-only-smoke-abc123", "protocol": "dr-only", "profile": "smoke",
    "detector": "faster_rcnn", "trained_on": "dr:32", "test_split": "real-test",
    "scores": {iou: {lvl: dict(LEVEL) for lvl in ("easy", "moderate", "hard")}
               for iou in ("0.5", "0.7")},
    "settings": {}, "seeds": {"run": 0},
    "versions": {"python": "3.11", "torch": "2.14.1", "mmdet": "3.3.0", "bpy": "5.0.1"},
    "git": {"commit": "abc"}, "timings_s": {"train": 1.0}, "created": "2026-11-25T00:00:00+00:00",
    "schema_version": 1,
}


def labels_as_predictions(root: Path, out: Path, shift: float = 0.0) -> Path:
    """Every real-test Car box as a detection (score 0.9), moved right by ``shift`` box widths."""
    out.mkdir(parents=True, exist_ok=True)
    for frame in SPLITS[TEST_SPLIT]:
        lines = []
        for line in (root / "training" / "label_2" / f"{frame}.txt").read_text().splitlines():
            fields = line.split()
            if fields and fields[0] == "Car":
                left, top, right, bottom = (float(v) for v in fields[4:8])
                dx = shift * (right - left)
                fields[4:8] = [f"{left + dx:.2f}", f"{top:.2f}", f"{right + dx:.2f}", f"{bottom:.2f}"]
                lines.append(" ".join(fields[:15] + ["0.9"]))
        (out / f"{frame}.txt").write_text("\n".join(lines) + "\n")
    return out


def real_entry(root: Path, work: Path, run_id: str, dataset: dict, shift: float = 0.0) -> dict:
    """A complete v2 entry (unsealed) whose scores and curves come from a real evaluation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reachable-AP cap warning of a small test split
        evaluation = evaluate_dirs(root, labels_as_predictions(root, work / run_id, shift),
                                   split=TEST_SPLIT, bootstrap=20, seed=0)
    return {
        "run_id": run_id, "protocol": "dr-only", "arm": "labels", "profile": "tiny",
        "detector": "kitti-labels", "trained_on": f"{dataset['kind']}:{dataset['n_images']}",
        "test_split": TEST_SPLIT, "scores": leaderboard_scores(evaluation),
        "settings": {"shift": shift}, "seeds": {"run": 0},
        "versions": versions(), "hardware": hardware(), "git": git_commit(),
        "timings_s": {"evaluate": 1.0},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "schema_version": 2, "dataset": dataset, "pr_curves": pr_curves(evaluation),
    }


def real_train_dataset(root: Path, n: int = 10) -> dict:
    frames = SPLITS["real-train"][:n]
    return dataset_record("real", "0123456789ab", fingerprint(root, frames=frames), frames=frames)


def detector(ground_truth: dict, seed: int) -> dict[str, list[KittiObject]]:
    """Jittered real cars (10 % missed, more on a frame that is hard for every model) and a few
    high-scoring background boxes on the hard frames."""
    rng = np.random.default_rng(seed)
    frames = {}
    for frame, gts in ground_truth.items():
        hard = rng.random() < 0.35
        dets = []
        for obj in gts:
            if obj.type != "Car" or rng.random() < 0.1 + (0.4 if hard else 0.0):
                continue
            left, top, right, bottom = obj.bbox
            j = rng.normal(0, 0.04 * (right - left), 4)
            dets.append(KittiObject("Car", (left + j[0], top + j[1], right + j[2], bottom + j[3]),
                                    score=float(rng.uniform(0.3, 1.0))))
        for _ in range(2 if hard else 0):
            left, top = rng.uniform(0, 1000), rng.uniform(120, 250)
            dets.append(KittiObject("Car", (left, top, left + rng.uniform(40, 200), top + 60),
                                    score=float(rng.uniform(0.2, 0.95))))
        frames[frame] = dets
    return frames


def degraded(frames: dict, seed: int, drop: float, clutter: float) -> dict[str, list[KittiObject]]:
    """A related model: the same output with some true boxes lost and a few more false ones."""
    rng = np.random.default_rng(seed)
    out = {}
    for frame, dets in frames.items():
        kept = [d for d in dets if rng.random() >= drop]
        for _ in range(rng.poisson(clutter)):
            left, top = rng.uniform(0, 1000), rng.uniform(120, 250)
            kept.append(KittiObject("Car", (left, top, left + 120, top + 60), score=float(rng.uniform(0.5, 1.0))))
        out[frame] = kept
    return out


def write_archive(board: Path, run_id: str, pred_dir: Path, frames: list[str]) -> dict:
    """``board/predictions/<run_id>.tar.gz`` holding ``<frame>.txt`` at its root; its ``predictions`` record."""
    archive = board / "predictions" / f"{run_id}.tar.gz"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for frame in frames:
            tar.add(pred_dir / f"{frame}.txt", arcname=f"{frame}.txt")
    return {"archive": f"predictions/{run_id}.tar.gz", "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
            "frames": frames, "score_threshold": 0.001, "max_per_image": 100}


def write_model(root: Path, board: Path, run_id: str, detections: dict, dataset: dict,
                arm: str = "a", seed: int = 0, **fields) -> Path:
    """A sealed v3 entry scored by the real evaluation on real-test (and on all frames when it
    predicted them all), with its predictions archived beside it; ``fields`` override the entry's
    (protocol, profile, created, ...)."""
    pred_dir = board.parent / "predicted" / run_id
    pred_dir.mkdir(parents=True)
    for frame, dets in detections.items():
        write_labels(pred_dir / f"{frame}.txt", dets)
    splits = [TEST_SPLIT] + (["all"] if sorted(detections) == list_frames(root) else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reachable-AP cap warning of a small split
        evaluations = {split: evaluate_dirs(root, pred_dir, split=split, bootstrap=200, seed=0)
                       for split in splits}
    entry = {
        **ENTRY, "run_id": run_id, "arm": arm, "profile": "tiny", "seeds": {"run": seed}, "schema_version": 3,
        "scores": leaderboard_scores(evaluations[TEST_SPLIT]), "pr_curves": pr_curves(evaluations[TEST_SPLIT]),
        "dataset": dataset, "predictions": write_archive(board, run_id, pred_dir, sorted(detections)),
        **fields,
    }
    if "all" in evaluations:
        entry["scores_by_split"] = {"all": {"n_frames": evaluations["all"]["n_frames"],
                                            "scores": leaderboard_scores(evaluations["all"])}}
    return write_entry(entry, board)


def write_related_models(root: Path, board: Path) -> tuple[dict, dict]:
    """model-a (a simulated detector on every kitti-mini frame) and model-b (a related, weaker one)
    on ``board``; returns A's detections and the training-data record, for more models."""
    dataset = real_train_dataset(root)
    ground_truth = {f: read_labels(root / "training" / "label_2" / f"{f}.txt") for f in list_frames(root)}
    base = detector(ground_truth, seed=3)
    write_model(root, board, "model-a", base, dataset)
    write_model(root, board, "model-b", degraded(base, 4, 0.1, 0.2), dataset, arm="b")
    return base, dataset
