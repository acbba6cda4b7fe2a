"""``--seeds K``: one entry per arm that summarises K runs with different seeds.

A single run's bootstrap interval covers the test set's sampling only; the
seeds (a new DR data set and a new training run each) are the other half of
the variance. The summary is the mean over seeds with a Student-t 95 % interval
across them, so a randomizer beats the baseline only when the seeds agree.
"""

from __future__ import annotations

from rich.table import Table

from drbench.leaderboard.aggregate import aggregate
from drbench.leaderboard.entries import write_entry


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
