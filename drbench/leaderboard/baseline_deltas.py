"""Every board entry against its profile's baseline, by paired comparison, kept beside the board.

Two entries' own intervals on kitti-mini are too wide to rank them; the paired
delta against the profile's baseline (``baseline-<profile>.json``) is what says
better, worse or not distinguishable. Computing one needs the real frames'
labels and a bootstrap, so ``drbench leaderboard`` stores each result under
``<board>/comparisons/<run_id>.json`` together with the SHA-256 of every
prediction archive it read: the Markdown and HTML boards show the deltas
without the real data, a reviewer can recompute them, and a result is
recomputed as soon as either side's predictions change.
"""

from __future__ import annotations

import json
from pathlib import Path

from drbench.io import write_text_atomic
from drbench.leaderboard.entries import REFERENCE_PREFIX, read_entry

FOLDER = "comparisons"


def _archives(path: Path, entry: dict) -> list[str]:
    """SHA-256 of each prediction set standing for the entry (one per seed, members beside it)."""
    if "aggregate" not in entry:
        return [entry["predictions"]["sha256"]]
    return [read_entry(path.parent / f"{run_id}.json")["predictions"]["sha256"]
            for run_id in entry["aggregate"]["members"]]


def comparable(entry: dict) -> bool:
    return "predictions" in entry or "aggregate" in entry


def baseline_of(profile: str, board_dir: Path) -> tuple[Path, dict] | None:
    """The profile's baseline entry, when there is one with stored predictions."""
    path = Path(board_dir) / f"{REFERENCE_PREFIX}{profile}.json"
    if not path.is_file():
        return None
    baseline = read_entry(path)
    return (path, baseline) if comparable(baseline) else None


def stored_comparison(path_a: Path, entry_a: dict, path_b: Path, entry_b: dict, stored_path: Path,
                      kitti_root: Path | None) -> dict | None:
    """A's paired comparison with B as stored at ``stored_path``, recomputed when either side's
    predictions changed or it is missing; None when it is stale and no real data is here."""
    digests = {"entry": _archives(path_a, entry_a), "baseline": _archives(path_b, entry_b)}
    stored = json.loads(stored_path.read_text()) if stored_path.is_file() else None
    if (stored is not None and stored["archives_sha256"] == digests and stored["entry"] == entry_a["run_id"]
            and stored["baseline"] == entry_b["run_id"]):
        return stored
    if kitti_root is None:
        return None
    # lazy: numpy, scipy and the devkit (~0.4 s); rendering a board from stored results needs none
    from drbench.leaderboard.comparison import compare_entries

    result = compare_entries(path_a, path_b, kitti_root)
    stored = {"entry": entry_a["run_id"], "baseline": entry_b["run_id"], "archives_sha256": digests,
              **{key: result[key] for key in ("split", "n_frames", "resamples", "rng_seed", "results")}}
    write_text_atomic(stored_path, json.dumps(stored, indent=1, sort_keys=True) + "\n")
    return stored


class ComparisonStore:
    """The board's ``comparisons/`` folder for one rendering: hands out each stored comparison asked
    for (recomputed when stale and the real data is here) and remembers the names asked for, so that
    :meth:`prune` can remove the files no entry or study asks for any more (a deleted entry, a pair a
    study no longer compares) instead of leaving them to look current."""

    def __init__(self, board_dir: Path, kitti_root: Path | None):
        self.board_dir, self.kitti_root = Path(board_dir), kitti_root
        self.asked: set[str] = set()

    def get(self, path_a: Path, entry_a: dict, path_b: Path, entry_b: dict, name: str) -> dict | None:
        """A − B, stored as ``comparisons/<name>``."""
        self.asked.add(name)
        return stored_comparison(path_a, entry_a, path_b, entry_b, self.board_dir / FOLDER / name, self.kitti_root)

    def prune(self) -> list[Path]:
        """Remove the stored comparisons nobody asked for in this rendering; returns what went.
        Only a rendering of the whole board may call it: a partial one would ask for too little."""
        stale = sorted(path for path in (self.board_dir / FOLDER).glob("*.json") if path.name not in self.asked)
        for path in stale:
            path.unlink()
        return stale


def update_deltas(entries: list[dict], store: ComparisonStore) -> dict[str, dict]:
    """run id -> stored comparison with its baseline, recomputing stale or missing ones.

    Without the store's real data only up-to-date stored results are returned.
    """
    deltas = {}
    for entry in entries:
        found = baseline_of(entry["profile"], store.board_dir)
        if found is None or not comparable(entry):
            continue
        baseline_path, baseline = found
        members = baseline.get("aggregate", {}).get("members", [])
        if entry["run_id"] in (baseline["run_id"], *members):
            continue
        stored = store.get(store.board_dir / f"{entry['run_id']}.json", entry, baseline_path, baseline,
                           f"{entry['run_id']}.json")
        if stored is not None:
            deltas[entry["run_id"]] = stored
    return deltas
