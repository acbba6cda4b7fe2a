"""The board's paired deltas against the profile's baseline: computed from real predictions on real
frames, stored beside the board with the archives' digests, shown without the real data, recomputed
when predictions change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from board_entries import write_related_models

from drbench.cli import main
from drbench.leaderboard.baseline_deltas import FOLDER, ComparisonStore, update_deltas
from drbench.leaderboard.comparison import compare_entries
from drbench.leaderboard.entries import read_entries
from drbench.leaderboard.markdown import render_markdown
from drbench.leaderboard.page import render_html


@pytest.fixture(scope="module")
def board(root, tmp_path_factory) -> Path:
    """model-a (also the tiny profile's baseline) and model-b, a related weaker model."""
    board = tmp_path_factory.mktemp("deltas") / "leaderboards"
    write_related_models(root, board)
    shutil.copy(board / "model-a.json", board / "baseline-tiny.json")
    return board


def test_each_entry_but_the_baseline_gets_the_paired_comparison(root, board):
    deltas = update_deltas(read_entries(board), ComparisonStore(board, root))
    assert set(deltas) == {"model-b"}  # the baseline is not compared with itself
    expected = compare_entries(board / "model-b.json", board / "baseline-tiny.json", root)
    assert deltas["model-b"]["results"] == json.loads(json.dumps(expected["results"]))
    assert deltas["model-b"]["split"] == "all" and deltas["model-b"]["n_frames"] == 101
    stored = json.loads((board / FOLDER / "model-b.json").read_text())
    assert stored == deltas["model-b"] and str(board) not in json.dumps(stored)  # no absolute paths


def test_stored_deltas_show_without_the_real_data_and_on_every_board(root, board):
    update_deltas(read_entries(board), ComparisonStore(board, root))
    deltas = update_deltas(read_entries(board), ComparisonStore(board, None))
    cell = deltas["model-b"]["results"]["0.5"]["easy"]["ap40"]
    expected = f"{cell['delta']:+.1f} [{cell['ci95'][0]:.1f}, {cell['ci95'][1]:.1f}]"
    assert cell["delta"] < 0  # model-b is the degraded one
    row = next(line for line in render_markdown(read_entries(board), deltas).splitlines() if "model-b" in line)
    assert row.endswith(f"| {expected} {'worse' if cell['verdict'] == 'worse' else 'n.d.'} (all) |")
    page = render_html(read_entries(board), board, board / "index.html", deltas)
    assert f"{cell['delta']:+.1f}<br><small>[{cell['ci95'][0]:.1f}, {cell['ci95'][1]:.1f}]" in page


def test_changed_predictions_make_a_stored_delta_stale(root, board, tmp_path):
    copy = tmp_path / "leaderboards"
    shutil.copytree(board, copy)
    update_deltas(read_entries(copy), ComparisonStore(copy, root))
    stored = json.loads((copy / FOLDER / "model-b.json").read_text())
    stored["archives_sha256"]["entry"] = ["0" * 64]  # as if model-b's predictions were replaced
    (copy / FOLDER / "model-b.json").write_text(json.dumps(stored))
    assert update_deltas(read_entries(copy), ComparisonStore(copy, None)) == {}  # stale, and no real data to redo it
    redone = update_deltas(read_entries(copy), ComparisonStore(copy, root))["model-b"]
    assert redone["archives_sha256"]["entry"] != ["0" * 64]


def test_drbench_leaderboard_writes_the_deltas_into_the_markdown(root, board, tmp_path, capsys):
    copy = tmp_path / "leaderboards"
    shutil.copytree(board, copy)
    assert main(["leaderboard", "--board-dir", str(copy), "--markdown", str(tmp_path / "README.md"),
                 "--kitti-root", str(root)]) == 0
    assert (copy / FOLDER / "model-b.json").is_file()
    assert "(all) |" in (tmp_path / "README.md").read_text()


def test_drbench_leaderboard_removes_comparisons_nothing_asks_for(root, board, tmp_path):
    copy = tmp_path / "leaderboards"
    shutil.copytree(board, copy)
    update_deltas(read_entries(copy), ComparisonStore(copy, root))
    kept = (copy / FOLDER / "model-b.json").read_text()
    orphan = copy / FOLDER / "model-gone-vs-model-b.json"  # a pair whose entry was deleted
    orphan.write_text(kept)
    assert main(["leaderboard", "--board-dir", str(copy), "--kitti-root", str(tmp_path / "no-data")]) == 0
    assert not orphan.exists() and (copy / FOLDER / "model-b.json").read_text() == kept
    (copy / "model-b.json").unlink()  # the entry goes: so does its comparison, even without the real data
    assert main(["leaderboard", "--board-dir", str(copy), "--kitti-root", str(tmp_path / "no-data")]) == 0
    assert sorted((copy / FOLDER).iterdir()) == []
