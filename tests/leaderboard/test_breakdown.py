"""``drbench errors`` on a sealed entry whose archive holds real kitti-mini real-test labels as
predictions, with two known edits on one frame: a box in the sky and a left-out car."""

from __future__ import annotations

import json
import shutil

import pytest
from board_entries import real_train_dataset, write_model

from drbench.cli import main
from drbench.data.kitti import KittiObject, read_labels
from drbench.data.splits import SPLITS
from drbench.leaderboard.breakdown import entry_breakdown
from drbench.leaderboard.comparison import ComparisonError
from drbench.leaderboard.entries import read_entry
from drbench.leaderboard.page import render_html
from drbench.leaderboard.predictions import ArchiveError
from drbench.protocols.runner import TEST_SPLIT

FRAME = "000053"
SKY = (20.0, 10.0, 120.0, 60.0)


@pytest.fixture(scope="module")
def board(root, tmp_path_factory):
    board = tmp_path_factory.mktemp("errors") / "leaderboards"
    detections = {}
    for frame in SPLITS[TEST_SPLIT]:
        cars = [o for o in read_labels(root / "training" / "label_2" / f"{frame}.txt") if o.type == "Car"]
        detections[frame] = [KittiObject("Car", o.bbox, score=0.9) for o in cars]
    detections[FRAME] = [KittiObject("Car", SKY, score=0.95)] + detections[FRAME][1:]  # the 256 px car missed
    write_model(root, board, "labels-edited", detections, real_train_dataset(root))
    return board


def test_json_names_the_two_edits(board, capsys):
    assert main(["errors", "labels-edited", "--board-dir", str(board), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["split"], result["n_frames"], result["seeds"]) == (TEST_SPLIT, 51, 1)
    cell = result["results"]["0.5"]["easy"]
    assert {k: v["count"] for k, v in cell["errors"].items()} == {
        "background": 1, "localization": 0, "duplicate": 0, "missed": 1}
    assert cell["errors"]["missed"]["by_height"]["> 80 px"] == 1
    assert cell["operating_point"]["fp"] == 1
    assert cell["ap40_all_fixed"] == cell["max_reachable_ap40"]


def test_the_tables_fit_80_columns(board, capsys):
    assert main(["errors", str(board / "labels-edited.json")]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    easy_0_5 = next(line.split() for line in out.splitlines() if line.split()[:1] == ["background"])
    assert easy_0_5[1] == "1" and easy_0_5[2].startswith("+") and easy_0_5[2] != "+0.0", "n, then its cost"
    assert out.count("what costs AP40 on real-test (51 frames)") == 2


def test_a_changed_archive_is_refused_naming_it(board, tmp_path):
    copy = shutil.copytree(board, tmp_path / "leaderboards")
    archive = copy / "predictions" / "labels-edited.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-10])
    with pytest.raises(ArchiveError, match=f"{archive}: SHA-256 does not match"):
        entry_breakdown(copy / "labels-edited.json", board.parent / "missing-root-not-read")


def test_a_split_the_predictions_do_not_cover_is_refused(board, root):
    with pytest.raises(ComparisonError, match="labels-edited.json: its predictions lack 50 of real-train's 50"):
        entry_breakdown(board / "labels-edited.json", root, split="real-train")


def test_the_board_shows_the_counts_and_costs_only_with_the_real_labels(board, root):
    entries = [read_entry(board / "labels-edited.json")]
    page = render_html(entries, board, board / "index.html", kitti_root=root)
    row = page[page.index('data-run="labels-edited"'):]
    assert "background 1 (+" in row and "missed car 1 (+" in row and "FP/image 0.02" in row
    assert "<img" not in row, "no crop of a real frame on the committed page"
    without = render_html(entries, board, board / "index.html")
    assert "no KITTI labels where the page was built" in without
