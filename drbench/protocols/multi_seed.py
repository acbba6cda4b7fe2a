"""``--seeds K``: one entry per arm that summarises K runs with different seeds.

A single run's bootstrap interval covers the test set's sampling only; the
seeds (a new DR data set and a new training run each) are the other half of
the variance. The summary is the mean over seeds with a Student-t 95 % interval
across them, so a randomizer beats the baseline only when the seeds agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
from rich.table import Table
from scipy import stats

from drbench.leaderboard import SCHEMA_VERSION, write_entry

METRICS = ("ap11", "ap40")


def t_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and its 95 % Student-t interval, clipped to AP's range [0, 100]."""
    values = np.asarray(values, float)
    mean = float(values.mean())
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, max(0.0, mean - half), min(100.0, mean + half)


def aggregate(members: list[dict]) -> dict:
    """The summary entry of one arm's runs (same protocol, arm, profile; different seeds)."""
    first = members[0]
    keys = {(e["protocol"], e["arm"], e["profile"]) for e in members}
    if len(keys) != 1 or len(members) < 2:
        raise ValueError(f"aggregate needs >= 2 runs of one arm, got {sorted(keys)} x {len(members)}")
    scores = {}
    for iou, levels in first["scores"].items():
        scores[iou] = {}
        for level, result in levels.items():
            summary = {"n_gt": result["n_gt"]}
            for metric in METRICS:
                mean, low, high = t_interval([e["scores"][iou][level][metric] for e in members])
                summary[metric], summary[f"{metric}_ci95"] = round(mean, 4), [round(low, 4), round(high, 4)]
            scores[iou][level] = summary
    curves = {iou: {level: np.mean([e["pr_curves"][iou][level] for e in members], axis=0).round(6).tolist()
                    for level in levels}
              for iou, levels in first["pr_curves"].items()} if all("pr_curves" in e for e in members) else None
    run_ids = [e["run_id"] for e in members]
    seeds = [e["seeds"]["run"] for e in members]
    digest = hashlib.sha256("\n".join(run_ids).encode()).hexdigest()[:8]
    entry = {
        "run_id": f"{first['protocol']}-{first['arm']}-{first['profile']}-seeds{len(members)}-{digest}",
        **{k: first[k] for k in ("protocol", "arm", "profile", "detector", "test_split", "settings",
                                 "versions", "hardware", "git") if k in first},
        "trained_on": f"{first['trained_on']} x {len(members)} seeds",
        "scores": scores,
        "seeds": {"runs": seeds},
        "aggregate": {"members": run_ids, "seeds": seeds, "interval": "student-t 95% over seeds",
                      "datasets": [e["dataset"]["config_hash"] for e in members if "dataset" in e]},
        "timings_s": {k: float(sum(e["timings_s"].get(k, 0.0) for e in members)) for k in first["timings_s"]},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
    }
    if curves is not None:
        entry["pr_curves"] = curves
    if "submission" in first:
        entry["submission"] = first["submission"]
    return entry


def aggregate_by_arm(entries: list[dict]) -> list[dict]:
    """One summary per arm that ran under more than one seed, in the order arms first appear."""
    groups: dict[tuple, list[dict]] = {}
    for entry in entries:
        groups.setdefault((entry["protocol"], entry["arm"], entry["profile"]), []).append(entry)
    return [aggregate(group) for group in groups.values() if len(group) > 1]


def run_seeds(run, first_seed: int, n_seeds: int, board_dir, console=None, dry_run: bool = False) -> list:
    """``run(seed)`` for K consecutive seeds, then one summary entry per arm on the board."""
    results = []
    for seed in range(first_seed, first_seed + n_seeds):
        results += run(seed)
    if dry_run or n_seeds < 2:
        return results
    summaries = aggregate_by_arm(results)
    for summary in summaries:
        write_entry(summary, board_dir)
    if console is not None:
        table = Table(title=f"mean over {n_seeds} seeds [95% t interval over seeds], AP40 on real-test")
        for column in ("protocol", "arm", "@0.5 easy", "@0.5 moderate", "@0.7 easy"):
            table.add_column(column)
        for s in summaries:
            cells = [f"{r['ap40']:.1f} [{r['ap40_ci95'][0]:.1f}, {r['ap40_ci95'][1]:.1f}]"
                     for r in (s["scores"]["0.5"]["easy"], s["scores"]["0.5"]["moderate"], s["scores"]["0.7"]["easy"])]
            table.add_row(s["protocol"], s["arm"], *cells)
        console.print(table)
    return results + summaries
