"""Regression check of a fresh result against a stored reference entry.

A drop of AP below the reference's 95 % interval is a regression; a gain
above it is flagged as suspicious too (like MLPerf's reference convergence
points: a sudden jump more often means a broken evaluation than a better
method). Either fails the nightly job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drbench.leaderboard.entries import read_entries

CHECKED = (("0.5", "easy"), ("0.5", "moderate"), ("0.7", "easy"), ("0.7", "moderate"))


@dataclass(frozen=True)
class Finding:
    iou: str
    level: str
    kind: str  # "regression" or "suspicious gain"
    fresh: float
    reference: float
    interval: tuple[float, float]

    def __str__(self) -> str:
        return (f"{self.kind}: AP40@{self.iou} {self.level} {self.fresh:.1f} vs reference "
                f"{self.reference:.1f} (95% interval {self.interval[0]:.1f}-{self.interval[1]:.1f})")


def compare(fresh: dict, reference: dict) -> list[Finding]:
    """Every checked score of ``fresh`` outside the reference's bootstrap interval."""
    for key in ("protocol", "profile", "detector", "test_split"):
        if fresh.get(key) != reference.get(key):
            raise ValueError(f"not comparable: {key} is {fresh.get(key)!r} here but "
                             f"{reference.get(key)!r} in the reference")
    findings = []
    for iou, level in CHECKED:
        new, ref = fresh["scores"][iou][level], reference["scores"][iou][level]
        low, high = ref["ap40_ci95"]
        if new["ap40"] < low:
            findings.append(Finding(iou, level, "regression", new["ap40"], ref["ap40"], (low, high)))
        elif new["ap40"] > high:
            findings.append(Finding(iou, level, "suspicious gain", new["ap40"], ref["ap40"],
                                    (low, high)))
    return findings


def latest_matching(board_dir: Path, reference: dict) -> dict:
    """The newest board entry of the reference's protocol, arm, profile and detector."""
    key = ("protocol", "arm", "profile", "detector")
    matching = [e for e in read_entries(board_dir)
                if all(e.get(k) == reference.get(k) for k in key) and "aggregate" not in e]
    if not matching:
        wanted = ", ".join(f"{k}={reference.get(k)}" for k in key)
        raise FileNotFoundError(f"{board_dir}: no entry with {wanted} to compare with the reference")
    return max(matching, key=lambda e: e["created"])
