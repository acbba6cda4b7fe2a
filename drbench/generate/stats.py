"""A data set's fingerprint: label statistics of any KITTI-layout folder (DR or real).

``fingerprint(dir)`` reads ``label_2`` (and ``label_json`` side files when
present) and summarises cars per image, box heights, truncation, occlusion and
the share of car boxes inside each KITTI devkit level (easy / moderate / hard,
the devkit's own rules, see drbench/evaluate/devkit.py). Comparing the
fingerprint of a DR set with real KITTI's shows where the generator's label
distribution differs. ``save`` writes it as JSON plus a histogram PNG.
"""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import numpy as np
from rich.table import Table

from drbench.data.coco import frame_dirs
from drbench.data.kitti import read_labels
from drbench.data.levels import LEVELS
from drbench.io import write_json_atomic

HEIGHT_EDGES = [0, 10, 20, 25, 30, 40, 60, 80, 120, 160, 240, 400, 10000]
TRUNCATION_EDGES = [0.0, 0.001, 0.15, 0.3, 0.5, 0.75, 1.0001]
CARS_PER_IMAGE_MAX = 20  # the histogram's last bin holds this many and more
VEHICLES = ("Car", "Van", "Truck")


def _in_level(obj, level) -> bool:
    # devkit: ground truth counts when height > min_height, occlusion <= max, truncation <= max
    return (obj.height > level.min_height and obj.occluded <= level.max_occlusion
            and obj.truncated <= level.max_truncation)


def _summary(values: list[float]) -> dict:
    if not values:
        return {"mean": None, "median": None, "p10": None, "p90": None}
    array = np.asarray(values, float)
    return {"mean": float(array.mean()), "median": float(np.median(array)),
            "p10": float(np.percentile(array, 10)), "p90": float(np.percentile(array, 90))}


def fingerprint(folder: str | os.PathLike, frames: list[str] | None = None) -> dict:
    """Label statistics of a KITTI-layout folder (``DIR/label_2`` or ``DIR/training/label_2``).

    ``frames`` limits it to those frame names (a real-data arm's training subset).
    """
    folder = Path(folder)
    _image_dir, label_dir = frame_dirs(folder)
    if frames is None:
        label_files = sorted(label_dir.glob("*.txt"))
    else:
        label_files = [label_dir / f"{name}.txt" for name in sorted(frames)]
        missing = [path.name for path in label_files if not path.is_file()]
        if missing:
            raise FileNotFoundError(f"{label_dir} lacks label files for frames {missing[:5]}")
    if not label_files:
        raise FileNotFoundError(f"no label files in {label_dir}")
    classes: collections.Counter = collections.Counter()
    per_image, heights, truncations, occlusions = [], [], [], collections.Counter()
    in_level = dict.fromkeys((level.name for level in LEVELS), 0)
    cars = 0
    for path in label_files:
        objects = read_labels(path)
        classes.update(obj.type for obj in objects)
        image_cars = [obj for obj in objects if obj.type == "Car"]
        per_image.append(len(image_cars))
        for obj in image_cars:
            cars += 1
            heights.append(obj.height)
            truncations.append(obj.truncated)
            occlusions[int(obj.occluded)] += 1
            for level in LEVELS:
                in_level[level.name] += _in_level(obj, level)
    shapes: collections.Counter = collections.Counter()
    visible_fractions = []
    side_dir = label_dir.parent / "label_json"
    for path in (p for p in (side_dir / f"{f.stem}.json" for f in label_files) if p.is_file()):
        record = json.loads(path.read_text(encoding="utf-8"))
        for obj in record.get("objects", []):
            shapes[obj.get("shape", "?")] += 1
            visible_fractions.append(obj.get("visible_fraction", 0.0))
    capped = np.minimum(per_image, CARS_PER_IMAGE_MAX)
    result = {
        "dir": str(folder),
        "images": len(label_files),
        "classes": dict(sorted(classes.items())),
        "cars": cars,
        "cars_per_image": {**_summary(per_image), "max": int(max(per_image)),
                           "histogram": np.bincount(capped, minlength=CARS_PER_IMAGE_MAX + 1).tolist(),
                           "images_without_cars": int(sum(n == 0 for n in per_image))},
        "box_height_px": {**_summary(heights), "edges": HEIGHT_EDGES,
                          "histogram": np.histogram(heights, HEIGHT_EDGES)[0].tolist()},
        "truncation": {**_summary(truncations), "edges": TRUNCATION_EDGES,
                       "histogram": np.histogram(truncations, TRUNCATION_EDGES)[0].tolist(),
                       "share_truncated": float(np.mean(np.asarray(truncations) > 0)) if cars else None},
        "occlusion": {str(level): (occlusions[level] / cars if cars else None) for level in (0, 1, 2, 3)},
        "kitti_levels": {name: (count / cars if cars else None) for name, count in in_level.items()},
        "kitti_level_counts": in_level,
    }
    if shapes:
        result["shapes"] = {"distinct": len(shapes), "procedural": sum(v for k, v in shapes.items()
                                                                        if k.startswith("procedural")),
                            "counts": dict(shapes.most_common())}
        result["visible_fraction"] = _summary(visible_fractions)
    return result


def plot(fingerprints: list[dict], path: str | os.PathLike) -> Path:
    """Histograms (cars per image, box heights, truncation, occlusion) of one or more fingerprints."""
    import matplotlib  # lazy: pyplot takes ~0.6 s to import; only the PNG needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 4, figsize=(18, 3.8))
    width = 0.8 / len(fingerprints)
    for k, fp in enumerate(fingerprints):
        label = f"{Path(fp['dir']).name or fp['dir']} ({fp['images']} images)"
        counts = np.asarray(fp["cars_per_image"]["histogram"], float)
        axes[0].bar(np.arange(len(counts)) + k * width, counts / max(counts.sum(), 1), width, label=label)
        heights = np.asarray(fp["box_height_px"]["histogram"], float)
        axes[1].bar(np.arange(len(heights)) + k * width, heights / max(heights.sum(), 1), width)
        truncation = np.asarray(fp["truncation"]["histogram"], float)
        axes[2].bar(np.arange(len(truncation)) + k * width, truncation / max(truncation.sum(), 1), width)
        occlusion = [fp["occlusion"][str(level)] or 0 for level in range(4)]
        axes[3].bar(np.arange(4) + k * width, occlusion, width)
    axes[0].set(title="cars per image", xlabel=f"cars (last bin: {CARS_PER_IMAGE_MAX}+)", ylabel="share of images")
    edges = fingerprints[0]["box_height_px"]["edges"]
    axes[1].set(title="car box height (px)", ylabel="share of cars")
    axes[1].set_xticks(range(len(edges) - 1), [f"{a}-{b}" if b < 10000 else f"{a}+" for a, b in zip(edges, edges[1:])],
                       rotation=45, fontsize=7)
    t_edges = fingerprints[0]["truncation"]["edges"]
    axes[2].set(title="truncation", ylabel="share of cars")
    axes[2].set_xticks(range(len(t_edges) - 1), ["0"] + [f"{a:.2g}-{min(b, 1):.2g}" for a, b in
                                                         zip(t_edges[1:], t_edges[2:])], rotation=45, fontsize=7)
    axes[3].set(title="occlusion level", ylabel="share of cars")
    axes[3].set_xticks(range(4), ["0 fully visible", "1 partly", "2 largely", "3 unknown/most"], fontsize=7)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def save(fp: dict, out_dir: str | os.PathLike, compare: list[dict] = ()) -> tuple[Path, Path]:
    """``stats.json`` (the fingerprint) and ``stats.png`` (histograms, with ``compare`` overlaid)."""
    out_dir = Path(out_dir)
    json_path = write_json_atomic(out_dir / "stats.json", fp)
    return json_path, plot([fp, *compare], out_dir / "stats.png")


ROWS = (
    ("images", lambda fp: f"{fp['images']}"),
    ("car boxes", lambda fp: f"{fp['cars']}"),
    ("other classes", lambda fp: ", ".join(f"{k} {v}" for k, v in fp["classes"].items() if k != "Car") or "-"),
    ("cars / image (mean, median, max)", lambda fp: "{:.2f}, {:.0f}, {}".format(
        fp["cars_per_image"]["mean"] or 0, fp["cars_per_image"]["median"] or 0, fp["cars_per_image"]["max"])),
    ("images without cars", lambda fp: f"{fp['cars_per_image']['images_without_cars']}"),
    ("box height px (median, p10-p90)", lambda fp: "-" if fp["box_height_px"]["median"] is None else
     "{:.0f}, {:.0f}-{:.0f}".format(fp["box_height_px"]["median"], fp["box_height_px"]["p10"],
                                    fp["box_height_px"]["p90"])),
    ("truncated (> 0)", lambda fp: _pct(fp["truncation"]["share_truncated"])),
    ("occlusion 0 / 1 / 2 / 3", lambda fp: " / ".join(_pct(fp["occlusion"][str(k)]) for k in range(4))),
    ("KITTI easy", lambda fp: _pct(fp["kitti_levels"]["easy"])),
    ("KITTI moderate", lambda fp: _pct(fp["kitti_levels"]["moderate"])),
    ("KITTI hard", lambda fp: _pct(fp["kitti_levels"]["hard"])),
    ("shape families (procedural kinds + models)", lambda fp: f"{fp['shapes']['distinct']}"
     if fp.get("shapes") else "-"),
)


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def table(fingerprints: list[dict]):
    """A rich Table, one column per fingerprint."""
    out = Table(title="data set fingerprint (Car boxes; KITTI levels by the devkit's rules)")
    out.add_column("")
    for fp in fingerprints:
        out.add_column(Path(fp["dir"]).name or fp["dir"], justify="right")
    for name, cell in ROWS:
        out.add_row(name, *(cell(fp) for fp in fingerprints))
    return out
