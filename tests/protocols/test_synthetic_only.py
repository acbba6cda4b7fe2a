"""synthetic-only at the tiny profile: DR against Virtual KITTI, or Virtual KITTI reported absent.

The Virtual KITTI tree is built from real KITTI frames (their PNGs linked, their
labels written as 1.3.1 ``motgt`` rows), so the vkitti arm converts and trains
on real images and real boxes through the Virtual KITTI reader.
"""

import io
import json

import pytest
from rich.console import Console

from drbench.data.kitti import read_labels
from drbench.data.vkitti import MOTGT_COLUMNS
from drbench.leaderboard import read_entries
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


def _events(runs):
    return [json.loads(line) for line in (runs / "events.jsonl").read_text().splitlines()]


def test_vkitti_arm_is_reported_absent_then_converts_trains_and_scores(tmp_path, root, monkeypatch):
    monkeypatch.delenv(VKITTI_ENV, raising=False)
    runs, board = tmp_path / "runs", tmp_path / "board"
    out = io.StringIO()
    results = run_protocol("synthetic-only", "tiny", seed=1, runs_dir=runs, board_dir=board,
                           console=Console(file=out, width=200))
    dr, missing = results
    assert dr["arm"] == "dr" and dr["trained_on"] == "dr:4"
    assert missing == {"protocol": "synthetic-only", "arm": "vkitti", "absent": VKITTI_ABSENT}
    assert VKITTI_ABSENT == "vkitti: absent (give --vkitti-root)"
    table = out.getvalue()[out.getvalue().index("synthetic-only: AP40"):]
    assert "vkitti" in table and VKITTI_ABSENT in table, "the results table names the missing arm"
    events = _events(runs)
    assert [e["metadata"]["reason"] for e in events if e["key"] == "arm_absent"] == [VKITTI_ABSENT]
    assert events[-1]["key"] == "protocol_stop" and events[-1]["metadata"]["absent"] == {
        "vkitti": VKITTI_ABSENT}
    assert [e["arm"] for e in read_entries(board)] == ["dr"]

    source = vkitti_from_kitti(root, tmp_path / "vkitti")
    plan = run_protocol("synthetic-only", "tiny", seed=1, runs_dir=runs, board_dir=board,
                        vkitti_root=source, dry_run=True, console=Console(file=io.StringIO()))
    assert [(s["kind"], s["status"]) for s in plan if s["kind"] in ("generate", "convert")] == [
        ("generate", "cached"), ("convert", "to run")]

    before = len(_events(runs))
    dr_again, vkitti = run_protocol("synthetic-only", "tiny", seed=1, runs_dir=runs, board_dir=board,
                                    vkitti_root=source, console=Console(file=io.StringIO()))
    assert dr_again["scores"] == dr["scores"], "the DR arm is reused from the step cache"
    started = [e["key"] for e in _events(runs)[before:] if e["key"].endswith("_start")]
    assert started == ["protocol_start", "convert_start", "train_start", "predict_start", "evaluate_start"]
    assert vkitti["trained_on"] == "vkitti:4" and vkitti["steps"]["train"] != dr["steps"]["train"]
    easy = vkitti["scores"]["0.5"]["easy"]
    assert easy["n_gt"] == 38 and 0 <= easy["ap40"] <= 100
    assert {e["arm"] for e in read_entries(board)} == {"dr", "vkitti"}

    (converted,) = (runs / "convert").iterdir()
    labels = converted / "data" / "label_2"
    assert sorted(p.stem for p in labels.iterdir()) == [f"0001_clone_{i:05d}" for i in range(4)]
    for index, frame in enumerate(FRAMES):  # the real boxes survive the round trip through VKITTI
        original = read_labels(root / "training" / "label_2" / f"{frame}.txt")
        again = read_labels(labels / f"0001_clone_{index:05d}.txt")
        assert [(o.type, o.bbox, max(o.occluded, 0)) for o in original] == [
            (o.type, o.bbox, o.occluded) for o in again]
