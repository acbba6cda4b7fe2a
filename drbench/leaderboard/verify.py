"""``drbench verify``: every entry's stated AP, recomputed from its stored predictions.

An entry is a claim; its prediction archive is the evidence. MLPerf checks a
submission before scoring it; here the whole board is checked at once: each
entry's archive is read (SHA-256 and frame list first), scored again with the
devkit's rules on every split the entry states a score for, and compared cell by
cell (IoU x level x AP11/AP40). A seed-aggregated entry is recomputed as the mean
of its members' recomputed scores. An entry without an archive cannot be checked
and fails, as does one whose archive does not cover a split it scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drbench.data.kitti import read_labels
from drbench.data.splits import split_frames
from drbench.evaluate.devkit import evaluate, pack
from drbench.leaderboard.comparison import prediction_entries
from drbench.leaderboard.entries import EntryError, read_entry
from drbench.leaderboard.predictions import ArchiveError, read_predictions

METRICS = ("ap11", "ap40")
TOLERANCE = 1e-4  # AP points: aggregated entries store their means rounded to 4 decimals


@dataclass
class Verdict:
    """One entry's check: ``ok`` only when every stated cell recomputes within TOLERANCE."""

    path: Path
    run_id: str
    cells: int = 0
    splits: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.cells > 0


def stated_scores(entry: dict) -> dict[str, dict]:
    """``{split: scores}`` for every split the entry states a score on."""
    stated = {entry["test_split"]: entry["scores"]}
    stated.update({split: block["scores"] for split, block in entry.get("scores_by_split", {}).items()})
    return stated


class _GroundTruth:
    """Each split's labels, read once for the whole board."""

    def __init__(self, kitti_root: Path) -> None:
        self.kitti_root, self.cache = Path(kitti_root), {}

    def __call__(self, split: str) -> tuple[list[str], list]:
        if split not in self.cache:
            frames = split_frames(self.kitti_root, split)
            self.cache[split] = frames, [read_labels(self.kitti_root / "training" / "label_2" / f"{f}.txt")
                                         for f in frames]
        return self.cache[split]


def recomputed_scores(predictions: dict, frames: list[str], ground_truth: list) -> dict:
    """``{iou: {level: {"ap11", "ap40"}}}`` of one prediction set on ``frames``, as entries state them."""
    results = evaluate(pack(ground_truth, [predictions[f] for f in frames]))
    return {str(iou): {level: {"ap11": r.ap11, "ap40": r.ap40} for level, r in levels.items()}
            for iou, levels in results.items()}


def verify_entry(path: Path, ground_truth: _GroundTruth) -> Verdict:
    """Recompute one entry (or aggregate) and list every cell that differs from what it states."""
    verdict = Verdict(path=path, run_id=path.stem)
    try:
        entry = read_entry(path)
        verdict.run_id = entry["run_id"]
        if "predictions" not in entry and "aggregate" not in entry:
            verdict.problems.append("no stored predictions: its scores cannot be recomputed")
            return verdict
        sets = [read_predictions(member_path, member) for member_path, member in prediction_entries(path, entry)]
    except (EntryError, ArchiveError, FileNotFoundError) as error:  # each names its file
        verdict.problems.append(str(error))
        return verdict
    for split, scores in stated_scores(entry).items():
        frames, labels = ground_truth(split)
        for i, predictions in enumerate(sets):
            missing = sorted(set(frames) - set(predictions))
            if missing:
                verdict.problems.append(f"{split}: prediction set {i} lacks {len(missing)} of its frames "
                                        f"({', '.join(missing[:3])}...)")
        if verdict.problems:
            continue
        per_set = [recomputed_scores(predictions, frames, labels) for predictions in sets]
        verdict.splits.append(split)
        for iou, levels in scores.items():
            for level, stated in levels.items():
                for metric in METRICS:
                    value = float(np.mean([s[iou][level][metric] for s in per_set]))
                    verdict.cells += 1
                    if abs(value - stated[metric]) > TOLERANCE:
                        verdict.problems.append(f"{split} {metric}@{iou} {level}: states {stated[metric]:.4f}, "
                                                f"its predictions give {value:.4f}")
    return verdict


def verify_board(board_dir: Path, kitti_root: Path) -> list[Verdict]:
    """Every entry file in ``board_dir`` (references included), in name order."""
    ground_truth = _GroundTruth(kitti_root)
    return [verify_entry(path, ground_truth) for path in sorted(Path(board_dir).glob("*.json"))]
