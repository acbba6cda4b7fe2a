"""Regression check of a fresh result against a stored reference entry.

A drop of AP below the reference interval is a regression; a gain above it is
flagged as suspicious too (like MLPerf's reference convergence points: a
sudden jump more often means a broken evaluation than a better method).
Either fails the nightly job.

The interval is where one fresh run lands if nothing changed. For a reference
run under K seeds that is the seeds' spread: the 95 % Student-t prediction
interval of one more run, mean ± t·sd·sqrt(1 + 1/K). It is wider than the
interval of the mean, which would flag a third of healthy runs; and it holds
the data and training variance that one run's bootstrap over frames leaves out.
A single-run reference falls back to its bootstrap interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from drbench.leaderboard.entries import read_entries, read_entry

CHECKED = (("0.5", "easy"), ("0.5", "moderate"), ("0.7", "easy"), ("0.7", "moderate"))


@dataclass(frozen=True)
class Finding:
    iou: str
    level: str
    kind: str  # "regression" or "suspicious gain"
    fresh: float
    reference: float
    interval: tuple[float, float]
    interval_kind: str = "bootstrap"

    def __str__(self) -> str:
        return (f"{self.kind}: AP40@{self.iou} {self.level} {self.fresh:.1f} vs reference "
                f"{self.reference:.1f} (95% {self.interval_kind} interval "
                f"{self.interval[0]:.1f}-{self.interval[1]:.1f})")


def seed_spread(values: list[float]) -> tuple[float, float]:
    """95 % Student-t prediction interval of one more run, from K >= 2 runs' values; within [0, 100]."""
    values = np.asarray(values, float)
    k = len(values)
    half = float(stats.t.ppf(0.975, k - 1) * values.std(ddof=1) * np.sqrt(1 + 1 / k))
    return max(0.0, float(values.mean()) - half), min(100.0, float(values.mean()) + half)


def compare(fresh: dict, reference: dict, members: list[dict] = ()) -> list[Finding]:
    """Every checked score of ``fresh`` outside the reference interval.

    ``members``: the per-seed entries of an aggregated reference; their spread is the interval.
    """
    for key in ("protocol", "profile", "detector", "test_split"):
        if fresh.get(key) != reference.get(key):
            raise ValueError(f"not comparable: {key} is {fresh.get(key)!r} here but "
                             f"{reference.get(key)!r} in the reference")
    kind = f"seed-spread ({len(members)} seeds)" if len(members) >= 2 else "bootstrap"
    findings = []
    for iou, level in CHECKED:
        new, ref = fresh["scores"][iou][level], reference["scores"][iou][level]
        low, high = (seed_spread([m["scores"][iou][level]["ap40"] for m in members])
                     if len(members) >= 2 else ref["ap40_ci95"])
        if new["ap40"] < low:
            findings.append(Finding(iou, level, "regression", new["ap40"], ref["ap40"], (low, high), kind))
        elif new["ap40"] > high:
            findings.append(Finding(iou, level, "suspicious gain", new["ap40"], ref["ap40"], (low, high), kind))
    return findings


def reference_members(reference: dict, board_dir: Path) -> list[dict]:
    """The per-seed entries of an aggregated reference (by run id in ``board_dir``); [] for one run."""
    if "aggregate" not in reference:
        return []
    paths = [Path(board_dir) / f"{run_id}.json" for run_id in reference["aggregate"]["members"]]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"{reference['run_id']}: its per-seed entries are missing: {', '.join(missing)}")
    return [read_entry(path) for path in paths]


def latest_matching(board_dir: Path, reference: dict) -> dict:
    """The newest board entry of the reference's protocol, arm, profile and detector that is not
    one of the reference's own seeds (those are the spread a fresh run is judged against)."""
    key = ("protocol", "arm", "profile", "detector")
    own = {reference["run_id"], *reference.get("aggregate", {}).get("members", [])}
    matching = [e for e in read_entries(board_dir)
                if all(e.get(k) == reference.get(k) for k in key) and "aggregate" not in e
                and e["run_id"] not in own]
    if not matching:
        wanted = ", ".join(f"{k}={reference.get(k)}" for k in key)
        raise FileNotFoundError(f"{board_dir}: no entry with {wanted} to compare with the reference")
    return max(matching, key=lambda e: e["created"])
