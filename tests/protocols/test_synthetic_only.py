"""synthetic-only at the tiny profile: each detector on DR against Virtual KITTI, or VKITTI reported absent.

The Virtual KITTI tree is built from real KITTI frames (their PNGs linked, their
labels written as 1.3.1 ``motgt`` rows), so the vkitti arm converts and trains
on real images and real boxes through the Virtual KITTI reader.
"""

import io

import pytest
from rich.console import Console

from drbench.data.kitti import read_labels
from drbench.data.vkitti import MOTGT_COLUMNS
from drbench.events import EVENT_LOG, Event, last_run, read_events
from drbench.leaderboard.entries import read_entries
from drbench.paths import VKITTI_ENV
from drbench.protocols.runner import VKITTI_ABSENT, run_protocol

pytestmark = pytest.mark.slow

FRAMES = ["000000", "000001", "000002", "000003"]


def vkitti_from_kitti(kitti_root, out):
    """A Virtual KITTI 1.3.1 tree (world 0001, variation clone) holding real KITTI frames."""
    rgb = out / "vkitti_1.3.1_rgb" / "0001" / "clone"
    rgb.mkdir(parents=True)
    rows = []
    for index, frame in enumerate(FRAMES):
        (rgb / f"{index:05d}.png").symlink_to(kitti_root / "training" / "image_2" / f"{frame}.png")
        for tid, o in enumerate(read_labels(kitti_root / "training" / "label_2" / f"{frame}.txt")):
            truncated, occluded = max(o.truncated, 0.0), max(o.occluded, 0)  # DontCare has -1
            rows.append(" ".join(map(str, [
                index, tid, o.type, int(truncated > 0), occluded, o.alpha, *o.bbox,
                o.dimensions[1], o.dimensions[0], o.dimensions[2], *o.location, o.rotation_y, 0, 0,
                truncated, 1.0 - 0.3 * occluded, o.type, 0, "Sedan4Door", "Black"])))
    gt = out / "vkitti_1.3.1_motgt"
    gt.mkdir()
    (gt / "0001_clone.txt").write_text(" ".join(MOTGT_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    return out


DETECTORS = ["faster-rcnn", "rfcn", "ssd"]


def test_vkitti_arms_are_reported_absent_then_convert_train_and_score(tmp_path, root, monkeypatch):
    monkeypatch.delenv(VKITTI_ENV, raising=False)
    runs, board = tmp_path / "runs", tmp_path / "board"
    out = io.StringIO()
    results = run_protocol("synthetic-only", "tiny", seed=1, runs_dir=runs, board_dir=board,
                           console=Console(file=out, width=200))
    dr, missing = results[:3], results[3:]
    assert [e["arm"] for e in dr] == [f"dr-{d}" for d in DETECTORS], "each detector on DR"
    assert [e["detector"] for e in dr] == ["faster_rcnn", "rfcn", "ssd"]
    assert {e["trained_on"] for e in dr} == {"dr:4"}
    assert missing == [{"protocol": "synthetic-only", "arm": f"vkitti-{d}", "absent": VKITTI_ABSENT}
                       for d in DETECTORS]
    assert VKITTI_ABSENT == "vkitti: absent (give --vkitti-root)"
    table = out.getvalue()[out.getvalue().index("synthetic-only: AP40"):]
    assert "vkitti-ssd" in table and VKITTI_ABSENT in table, "the results table names the missing arms"
    events = read_events(runs / EVENT_LOG)
    assert [e.metadata["reason"] for e in events if e.key == Event.ARM_ABSENT] == [VKITTI_ABSENT] * 3
    assert events[-1].key == Event.PROTOCOL_STOP and events[-1].metadata["absent"] == {
        f"vkitti-{d}": VKITTI_ABSENT for d in DETECTORS}
    assert sorted(e["arm"] for e in read_entries(board)) == [f"dr-{d}" for d in DETECTORS]
    assert [e.metadata["kind"] for e in events if e.key == Event.STEP_START].count("generate") == 1, \
        "one DR set for all detectors"

    source = vkitti_from_kitti(root, tmp_path / "vkitti")
    plan = run_protocol("synthetic-only", "tiny", seed=1, runs_dir=runs, board_dir=board,
                        vkitti_root=source, dry_run=True, console=Console(file=io.StringIO()))
    assert {(s["kind"], s["status"]) for s in plan if s["kind"] in ("generate", "convert")} == {
        ("generate", "cached"), ("convert", "to run")}
    assert [s["status"] for s in plan if s["kind"] == "train"] == ["cached"] * 3 + ["to run"] * 3

    again = run_protocol("synthetic-only", "tiny", seed=1, runs_dir=runs, board_dir=board,
                         vkitti_root=source, console=Console(file=io.StringIO()))
    dr_again, vkitti = again[:3], again[3:]
    assert [e["scores"] for e in dr_again] == [e["scores"] for e in dr], \
        "the DR arms are reused from the step cache"
    rerun = last_run(read_events(runs / EVENT_LOG))
    started = [e.metadata["kind"] for e in rerun if e.key == Event.STEP_START]
    assert started == ["convert"] + ["train", "predict", "evaluate", "evaluate"] * 3, \
        "a Virtual KITTI arm saw no real frame: scored on real-test and on every frame"
    assert [e["arm"] for e in vkitti] == [f"vkitti-{d}" for d in DETECTORS]
    for entry, dr_entry in zip(vkitti, dr):
        assert entry["trained_on"] == "vkitti:4" and entry["detector"] == dr_entry["detector"]
        assert entry["steps"]["train"] != dr_entry["steps"]["train"]
        easy = entry["scores"]["0.5"]["easy"]
        assert easy["n_gt"] == 38 and 0 <= easy["ap40"] <= 100
    assert {e["arm"] for e in read_entries(board)} == {f"{k}-{d}" for k in ("dr", "vkitti")
                                                      for d in DETECTORS}

    (converted,) = (runs / "convert").iterdir()
    labels = converted / "data" / "label_2"
    assert sorted(p.stem for p in labels.iterdir()) == [f"0001_clone_{i:05d}" for i in range(4)]
    for index, frame in enumerate(FRAMES):  # the real boxes survive the round trip through VKITTI
        original = read_labels(root / "training" / "label_2" / f"{frame}.txt")
        again = read_labels(labels / f"0001_clone_{index:05d}.txt")
        assert [(o.type, o.bbox, max(o.occluded, 0)) for o in original] == [
            (o.type, o.bbox, o.occluded) for o in again]
