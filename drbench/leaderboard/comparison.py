"""``drbench compare``: is entry A better than entry B on the same real frames?

Two entries' own intervals overlap on kitti-mini even when one model is clearly
better, because most of each interval is the luck of which frames are in the
test set. Re-scoring both entries' stored predictions on the same frames with a
paired bootstrap (``drbench.evaluate.paired``) cancels that shared part; the
difference of the two error breakdowns (``drbench.evaluate.errors``) then says
*why* one wins: fewer background boxes, better localization, fewer misses. An
entry's predictions are an archive beside it in its board folder, checked
against the entry's SHA-256 and frame list before a single box is read; a
seed-aggregated entry compares through its members, one prediction set per seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich import box
from rich.table import Table

from drbench.data.kitti import read_labels
from drbench.data.splits import SPLITS, split_frames
from drbench.evaluate.devkit import pack
from drbench.evaluate.errors import ERRORS, mean_breakdown
from drbench.evaluate.paired import paired_bootstrap, verdict
from drbench.leaderboard.background_errors import background_bootstrap
from drbench.leaderboard.entries import REFERENCE_PREFIX, read_entry
from drbench.leaderboard.predictions import read_predictions
from drbench.leaderboard.ranking import HEADLINE


class ComparisonError(ValueError):
    """Two entries that cannot be compared; names the file and the problem."""


def entry_path(reference: str, board_dir: Path) -> Path:
    """An entry file: ``reference`` itself when it is a file, else ``board_dir/<reference>.json``."""
    if Path(reference).is_file():
        return Path(reference)
    by_id = Path(board_dir) / f"{reference}.json"
    if not by_id.is_file():
        raise FileNotFoundError(f"{reference}: neither an entry file nor a run id in {board_dir} "
                                f"(no {by_id})")
    return by_id


def prediction_entries(path: Path, entry: dict) -> list[tuple[Path, dict]]:
    """The entries whose predictions stand for ``entry``: itself, or each member of an aggregate.

    Members are entries in the same board folder, named by run id.
    """
    if "aggregate" not in entry:
        return [(path, entry)]
    members = [path.parent / f"{run_id}.json" for run_id in entry["aggregate"]["members"]]
    return [(member, read_entry(member)) for member in members]


def covered_splits(frames: set[str], kitti_root: Path) -> list[str]:
    """The named splits whose every frame is in ``frames``."""
    return [name for name in SPLITS if set(split_frames(kitti_root, name)) <= frames]


def choose_split(frames_a: set[str], frames_b: set[str], kitti_root: Path, split: str | None) -> str:
    """``split`` if given, else ``all`` when both sides cover every labelled frame, else real-test.

    Both sides must cover the chosen split's frames.
    """
    covers_a, covers_b = covered_splits(frames_a, kitti_root), covered_splits(frames_b, kitti_root)
    chosen = split or ("all" if "all" in covers_a and "all" in covers_b else "real-test")
    wanted = set(split_frames(kitti_root, chosen))  # an unknown name raises KeyError listing the known
    if not wanted <= frames_a or not wanted <= frames_b:
        raise ComparisonError(f"both entries' predictions must cover {chosen}'s {len(wanted)} frames: "
                              f"A covers {', '.join(covers_a) or 'no named split'}; "
                              f"B covers {', '.join(covers_b) or 'no named split'}")
    return chosen


def compare_entries(path_a: Path, path_b: Path, kitti_root: Path, split: str | None = None,
                    n_resamples: int = 1000, seed: int = 0) -> dict:
    """The paired bootstrap of A against B on one split's real frames, as a JSON-ready dict.

    ``results``: ``{iou: {level: {"ap11"|"ap40": {"a", "b", "delta", "ci95", "p_value",
    "verdict"}}}}``, AP in points, from A's point of view; ``a`` / ``b``: the entry file, its
    run id, its number of seeds and the run ids of its prediction sets (one per seed);
    ``errors``: the error breakdowns' differences (:func:`breakdown_deltas`);
    ``background_fp_per_image``: ``{iou: {level: {"a", "b", "delta", "ci95", "p_value", "verdict"}}}``,
    background false positives per image at each side's best-F1 threshold, A − B with a paired
    interval on the AP comparison's own resampled frames and seeds
    (:func:`drbench.leaderboard.background_errors.background_bootstrap`).
    """
    paths = {"a": path_a, "b": path_b}
    entries = {side: read_entry(path) for side, path in paths.items()}
    sources = {side: prediction_entries(paths[side], entry) for side, entry in entries.items()}
    predictions = {side: [read_predictions(path, entry) for path, entry in members]
                   for side, members in sources.items()}
    common = {side: set.intersection(*(set(p) for p in sets)) for side, sets in predictions.items()}
    split = choose_split(common["a"], common["b"], kitti_root, split)
    frames = split_frames(kitti_root, split)
    ground_truth = [read_labels(kitti_root / "training" / "label_2" / f"{f}.txt") for f in frames]
    runs = {side: [pack(ground_truth, [p[f] for f in frames]) for p in sets]
            for side, sets in predictions.items()}
    report = paired_bootstrap(runs["a"], runs["b"], np.random.default_rng(seed), n_resamples)
    detections = {side: [[p[f] for f in frames] for p in sets] for side, sets in predictions.items()}
    breakdowns = {side: mean_breakdown(ground_truth, sets) for side, sets in detections.items()}
    background = background_bootstrap(ground_truth, detections["a"], detections["b"],
                                      np.random.default_rng(seed), n_resamples)  # the same draws as AP's
    sides = {side: {"entry": str(paths[side]), "run_id": entries[side]["run_id"], "seeds": len(sources[side]),
                    "prediction_sets": [entry["run_id"] for _, entry in sources[side]]}
             for side in paths}
    return {
        **sides,
        "split": split,
        "n_frames": len(frames),
        "resamples": n_resamples,
        "rng_seed": seed,
        "results": {str(iou): {level: {metric: {**cell, "verdict": verdict(cell)}
                                       for metric, cell in metrics.items()}
                               for level, metrics in levels.items()}
                    for iou, levels in report.items()},
        "errors": breakdown_deltas(breakdowns["a"], breakdowns["b"]),
        "background_fp_per_image": background,
    }


def _delta(a: float, b: float) -> dict:
    return {"a": a, "b": b, "delta": a - b}


def breakdown_deltas(a: dict, b: dict) -> dict:
    """``{iou: {level: {error: {"count"|"at_operating_point"|"dap40": {"a", "b", "delta"}},
    "fp_per_image": {"a", "b", "delta"}}}}``: A's breakdown against B's, per error type."""
    return {iou: {level: {
        **{kind: {key: _delta(cell[key], b[iou][level]["errors"][kind][key])
                  for key in ("count", "at_operating_point", "dap40") if key in cell}
           for kind, cell in a[iou][level]["errors"].items()},
        "fp_per_image": _delta(a[iou][level]["operating_point"]["fp_per_image"],
                               b[iou][level]["operating_point"]["fp_per_image"])}
        for level in levels} for iou, levels in a.items()}


def _interval(cell: dict) -> str:
    low, high = cell["ci95"]
    return f"{cell['delta']:+.1f} [{low:.1f}, {high:.1f}]"


def comparison_table(result: dict) -> Table:
    """AP40 of A and B, A − B with its 95 % interval, p and the verdict per IoU and level."""
    table = Table(title=f"A vs B: AP40 on {result['split']} ({result['n_frames']} frames)", title_justify="left",
                  box=box.SIMPLE_HEAD, collapse_padding=True)  # 78 columns wide with the longest verdict
    for column in ("IoU", "level", "A", "B", "A − B [95 %]", "p", "A is"):
        table.add_column(column, justify="left" if column in ("IoU", "level", "A is") else "right")
    for iou, levels in result["results"].items():
        for level, metrics in levels.items():
            cell = metrics["ap40"]
            table.add_row(iou, level, f"{cell['a']:.1f}", f"{cell['b']:.1f}", _interval(cell),
                          f"{cell['p_value']:.2f}", cell["verdict"])
    return table


ERROR_CELLS = (("0.5", "easy"), ("0.5", "mod."), ("0.7", "easy"))  # (IoU, level as the header says it)
LEVEL_OF = {"easy": "easy", "mod.": "moderate"}


def errors_table(result: dict) -> Table:
    """A − B per error type: its count at each side's best-F1 threshold (missed cars: all)
    and its AP40 cost (the oracle's gain), at the board's three headline cells."""
    table = Table(title="What costs AP40: count n and cost dAP per error type", title_justify="left",
                  box=box.SIMPLE_HEAD, collapse_padding=True)
    table.add_column("A − B\nerror")
    for iou, level in ERROR_CELLS:
        table.add_column(f"{iou} {level}\nn", justify="right")
        table.add_column("\ndAP", justify="right")
    for kind in ERRORS:
        row = []
        for iou, level in ERROR_CELLS:
            cell = result["errors"][iou][LEVEL_OF[level]][kind]
            row += [f"{cell.get('at_operating_point', cell['count'])['delta']:+.0f}", f"{cell['dap40']['delta']:+.1f}"]
        table.add_row(kind, *row)
    table.add_row("FP / image", *(value for iou, level in ERROR_CELLS for value in (
        f"{result['errors'][iou][LEVEL_OF[level]]['fp_per_image']['delta']:+.2f}", "")))
    return table


def background_table(result: dict) -> Table:
    """Background false positives per image at each side's best-F1 threshold: A, B, A − B with
    its paired 95 % interval, p and the verdict, at the errors table's three cells."""
    table = Table(title="Background false positives per image at the best-F1 threshold", title_justify="left",
                  box=box.SIMPLE_HEAD, collapse_padding=True)
    for column in ("at", "A", "B", "A − B [95 %]", "p", "A has"):
        table.add_column(column, justify="left" if column in ("at", "A has") else "right")
    for iou, level in ERROR_CELLS:
        cell = result["background_fp_per_image"][iou][LEVEL_OF[level]]
        table.add_row(f"IoU {iou} {level}", f"{cell['a']:.2f}", f"{cell['b']:.2f}", _fp_interval(cell),
                      f"{cell['p_value']:.2f}", cell["verdict"])
    return table


def _fp_interval(cell: dict) -> str:
    low, high = cell["ci95"]
    return f"{cell['delta']:+.2f} [{low:.2f}, {high:.2f}]"


def in_words(result: dict, a: str = "A", b: str = "B") -> str:
    """The headline cell (AP40 at 0.5 easy) as one sentence, naming the sides ``a`` and ``b``,
    and its background false positives per image (when the result has them) as a second."""
    iou, level = HEADLINE
    cell = result["results"][iou][level]["ap40"]
    claim = (f"{a} and {b} are not distinguishable" if cell["verdict"] == "not distinguishable"
             else f"{a} is {cell['verdict']} than {b}")
    words = (f"{claim} at AP40@{iou} {level}: {_interval(cell)}, p = {cell['p_value']:.2f}, "
             f"on {result['n_frames']} frames, {result['a']['seeds']} x {result['b']['seeds']} seeds")
    if "background_fp_per_image" not in result:
        return words
    fp = result["background_fp_per_image"][iou][level]
    fp_claim = (f"{a} and {b} are not distinguishable in" if fp["verdict"] == "not distinguishable"
                else f"{a} has {fp['verdict']}")
    return (f"{words}. {fp_claim} background false positives per image at each side's best-F1 threshold "
            f"at IoU {iou} {level}: {fp['a']:.2f} vs {fp['b']:.2f}, {_fp_interval(fp)}, "
            f"p = {fp['p_value']:.2f}")


def against_baseline(entry_file: Path, board_dir: Path, kitti_root: Path) -> str:
    """The entry judged against its profile's baseline (``baseline-<profile>.json``), in words;
    or why it cannot be (no baseline, or one without stored predictions)."""
    profile = read_entry(entry_file)["profile"]
    baseline = Path(board_dir) / f"{REFERENCE_PREFIX}{profile}.json"
    if not baseline.is_file():
        return f"no baseline for profile {profile} ({baseline}) to judge it against"
    reference = read_entry(baseline)
    if "predictions" not in reference and "aggregate" not in reference:
        return (f"the baseline {baseline} has no stored predictions (made before schema v3): "
                "re-run it to judge submissions against it")
    result = compare_entries(entry_file, baseline, kitti_root)
    return in_words(result, "the submission", "the baseline")
