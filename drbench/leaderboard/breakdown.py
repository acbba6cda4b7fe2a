"""``drbench errors``: an entry's error breakdown (``drbench.evaluate.errors``) from its stored
predictions, as JSON and as a table.

The predictions are read as ``drbench compare`` reads them: the archive beside the
entry, checked against its SHA-256 and frame list; a seed-aggregated entry is the
mean over its members' prediction sets.
"""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.table import Table

from drbench.data.kitti import KittiObject, read_labels
from drbench.data.levels import LEVEL_NAMES
from drbench.data.splits import split_frames
from drbench.evaluate.errors import ERRORS, NO_COST, mean_breakdown
from drbench.leaderboard.comparison import ComparisonError, prediction_entries
from drbench.leaderboard.entries import read_entry
from drbench.leaderboard.predictions import read_predictions

LABELS = {"background": "background", "localization": "localization", "duplicate": "duplicate",
          "missed": "missed car", "van": "on a van", "dontcare": "in DontCare",
          "outside_level": "car outside level", "below_min_height": "below min. height"}


def ground_truth(kitti_root: Path, frames: list[str]) -> list[list[KittiObject]]:
    return [read_labels(Path(kitti_root) / "training" / "label_2" / f"{f}.txt") for f in frames]


def split_breakdown(prediction_sets: list[tuple[Path, dict[str, list[KittiObject]]]], kitti_root: Path,
                    split: str) -> dict:
    """The mean breakdown of prediction sets (``(entry file, {frame: detections})``) on a split,
    refusing a set that lacks one of its frames."""
    frames = split_frames(kitti_root, split)
    for path, predictions in prediction_sets:
        missing = sorted(set(frames) - set(predictions))
        if missing:
            raise ComparisonError(f"{path}: its predictions lack {len(missing)} of {split}'s {len(frames)} "
                                  f"frames ({', '.join(missing[:5])})")
    return mean_breakdown(ground_truth(kitti_root, frames),
                          [[predictions[f] for f in frames] for _, predictions in prediction_sets])


def entry_breakdown(path: Path, kitti_root: Path, split: str | None = None) -> dict:
    """The breakdown of one entry on ``split`` (default: the split it is ranked on), JSON-ready:
    ``results`` is ``{iou: {level: ...}}`` as :func:`drbench.evaluate.errors.level_breakdown`."""
    entry = read_entry(path)
    sources = prediction_entries(Path(path), entry)
    sets = [(member, read_predictions(member, member_entry)) for member, member_entry in sources]
    split = split or entry["test_split"]
    return {"entry": str(path), "run_id": entry["run_id"], "seeds": len(sources),
            "prediction_sets": [member_entry["run_id"] for _, member_entry in sources], "split": split,
            "n_frames": len(split_frames(kitti_root, split)), "results": split_breakdown(sets, kitti_root, split)}


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def breakdown_table(result: dict, iou: str) -> Table:
    """One IoU: per level, each error's count at the operating point and its AP40 gain, then
    the detections that cost nothing, AP40 and the false positives per image."""
    levels = result["results"][iou]
    table = Table(title=f"IoU {iou}: what costs AP40 on {result['split']} ({result['n_frames']} frames)",
                  title_justify="left", box=box.SIMPLE_HEAD, collapse_padding=True)
    table.add_column("")
    for level in LEVEL_NAMES:
        table.add_column(f"{level}\nn", justify="right")
        table.add_column("\ndAP", justify="right")
    for kind in ERRORS:
        row = []
        for level in LEVEL_NAMES:
            cell = levels[level]["errors"][kind]
            row += [_number(cell.get("at_operating_point", cell["count"])), f"{cell['dap40']:+.1f}"]
        table.add_row(LABELS[kind], *row)
    for n, kind in enumerate(NO_COST):
        table.add_row(LABELS[kind], *(value for level in LEVEL_NAMES
                                      for value in (_number(levels[level]["no_cost"][kind]["at_operating_point"]),
                                                    "0")), end_section=n == len(NO_COST) - 1)
    table.add_row("AP40 / all fixed", *(value for level in LEVEL_NAMES for value in (
        f"{levels[level]['ap40']:.1f}", f"{levels[level]['ap40_all_fixed']:.1f}")))
    table.add_row("FP / image, score", *(value for level in LEVEL_NAMES for value in (
        f"{levels[level]['operating_point']['fp_per_image']:.2f}",
        _threshold(levels[level]['operating_point']['score_threshold']))))
    return table


def _threshold(value: float | None) -> str:
    return "all" if value is None else f"≥{value:.2f}"


NOTE = ("n: detections scoring at least the best-F1 threshold (missed cars: all of them); dAP: AP40 gained "
        "when an oracle fixes that error type (they overlap); van, DontCare, cars outside the level and "
        "boxes below its minimum height cost nothing under the devkit's rules.")
