"""``drbench compare`` on real kitti-mini ground truth: entries whose stored predictions come
from a simulated detector (jittered real cars, some missed, a few false boxes), scored by the
real evaluation and written as sealed schema-v3 entries with real tar.gz archives."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
from board_entries import ENTRY, degraded, write_archive, write_model, write_related_models

from drbench.cli import main
from drbench.data.splits import SPLITS
from drbench.leaderboard.aggregate import aggregate
from drbench.leaderboard.comparison import ComparisonError, compare_entries
from drbench.leaderboard.predictions import ArchiveError
from drbench.leaderboard.entries import read_entry, write_entry

TEST_SPLIT = "real-test"


@pytest.fixture(scope="module")
def board(root, tmp_path_factory) -> Path:
    """model-a and model-b (a related, weaker model) on every kitti-mini frame; model-a-seed1 (A's
    second seed) and their aggregate model-a-seeds2; model-c on real-test only; an old v2 entry."""
    board = tmp_path_factory.mktemp("compare") / "leaderboards"
    base, dataset = write_related_models(root, board)
    write_model(root, board, "model-a-seed1", degraded(base, 8, 0.05, 0.0), dataset, seed=1)
    write_model(root, board, "model-c", {f: base[f] for f in SPLITS[TEST_SPLIT]}, dataset, arm="c")
    members = [read_entry(board / f"{run_id}.json") for run_id in ("model-a", "model-a-seed1")]
    write_entry({**aggregate(members), "run_id": "model-a-seeds2"}, board)
    write_entry({**ENTRY, "run_id": "old-v2", "schema_version": 2, "dataset": dataset,
                 "pr_curves": read_entry(board / "model-a.json")["pr_curves"],
                 "scores": read_entry(board / "model-a.json")["scores"]}, board)
    return board


def compare_json(capsys, *args: str) -> dict:
    assert main(["compare", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def refusal(root: Path, board: Path, a: str, b: str, split: str | None = None) -> str:
    with pytest.raises((ComparisonError, ArchiveError)) as refused:
        compare_entries(board / f"{a}.json", board / f"{b}.json", root, split=split, n_resamples=10)
    return str(refused.value)


def width(interval) -> float:
    return interval[1] - interval[0]


def test_delta_is_the_difference_of_the_entries_own_aps_and_tighter_than_either(board, capsys):
    a, b = read_entry(board / "model-a.json"), read_entry(board / "model-b.json")
    result = compare_json(capsys, str(board / "model-a.json"), str(board / "model-b.json"), "--resamples", "400")
    assert (result["split"], result["n_frames"], result["a"]["seeds"], result["b"]["seeds"]) == ("all", 101, 1, 1)
    own_a, own_b = (e["scores_by_split"]["all"]["scores"]["0.5"]["easy"] for e in (a, b))
    cell = result["results"]["0.5"]["easy"]["ap40"]
    assert cell["delta"] == pytest.approx(own_a["ap40"] - own_b["ap40"])
    assert cell["ci95"][0] <= cell["delta"] <= cell["ci95"][1]
    assert width(cell["ci95"]) < width(own_a["ap40_ci95"]) and width(cell["ci95"]) < width(own_b["ap40_ci95"])
    assert cell["verdict"] == "better" and set(result["results"]["0.7"]["hard"]) == {"ap11", "ap40"}
    background = result["errors"]["0.5"]["easy"]["background"]
    assert background["count"]["delta"] < 0, "B's extra clutter shows as more background false positives"
    assert background["count"]["delta"] == background["count"]["a"] - background["count"]["b"]


def test_an_entry_against_itself_is_not_distinguishable(board, capsys):
    path = str(board / "model-a.json")
    result = compare_json(capsys, path, path, "--resamples", "100")
    for levels in result["results"].values():
        for metrics in levels.values():
            for cell in metrics.values():
                assert cell["delta"] == 0 and cell["ci95"] == [0.0, 0.0]
                assert cell["verdict"] == "not distinguishable"
    for levels in result["errors"].values():
        for kinds in levels.values():
            assert all(delta["delta"] == 0 for cell in kinds.values()
                       for delta in (cell.values() if "delta" not in cell else [cell]))


def test_the_table_fits_80_columns_and_says_the_headline_in_words(board, capsys):
    assert main(["compare", "model-b", "model-a", "--board-dir", str(board), "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["0.5"], ["0.7"])]
    levels = ("easy", "moderate", "hard")
    assert [row[:2] for row in rows] == [[iou, level] for iou in ("0.5", "0.7") for level in levels]
    assert all(row[-1] in ("worse", "distinguishable") for row in rows), "one line per row, verdict last"
    words = " ".join(out.split())  # the sentence wraps at 80 columns
    assert "A is worse than B at AP40@0.5 easy: -" in words and "p = 0.00, on 101 frames, 1 x 1 seeds" in words


def test_run_ids_resolve_through_the_board_dir_and_reproduce_exactly(board, capsys):
    by_id = compare_json(capsys, "model-a", "model-b", "--board-dir", str(board), "--resamples", "200")
    by_path = compare_json(capsys, str(board / "model-a.json"), str(board / "model-b.json"), "--resamples", "200")
    assert by_id == by_path
    assert main(["compare", "no-such-run", "model-b", "--board-dir", str(board)]) == 2
    assert "no-such-run" in capsys.readouterr().out


def test_an_aggregated_entry_compares_through_its_members(board, capsys):
    result = compare_json(capsys, "model-a-seeds2", "model-b", "--board-dir", str(board), "--resamples", "200")
    assert result["a"]["seeds"] == 2 and result["a"]["prediction_sets"] == ["model-a", "model-a-seed1"]
    members = [read_entry(board / f"{m}.json")["scores_by_split"]["all"]["scores"]["0.5"]["easy"]["ap40"]
               for m in ("model-a", "model-a-seed1")]
    assert result["results"]["0.5"]["easy"]["ap40"]["a"] == pytest.approx(np.mean(members))


def test_the_split_falls_back_to_real_test_and_must_be_covered(root, board, capsys):
    result = compare_json(capsys, "model-a", "model-c", "--board-dir", str(board), "--resamples", "100")
    assert (result["split"], result["n_frames"]) == (TEST_SPLIT, len(SPLITS[TEST_SPLIT]))
    assert "A covers real-train, real-test, all; B covers real-test" in refusal(root, board, "model-a", "model-c",
                                                                                   split="all")


def test_a_tampered_archive_is_refused_naming_it(root, board, tmp_path):
    copy = shutil.copytree(board, tmp_path / "leaderboards")
    archive = copy / "predictions" / "model-b.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert refusal(root, copy, "model-a", "model-b").startswith(f"{archive}: SHA-256 does not match")


def test_an_archive_without_every_frame_of_its_entry_is_refused(root, board, tmp_path):
    copy = shutil.copytree(board, tmp_path / "leaderboards")
    entry = read_entry(copy / "model-b.json")
    frames = entry["predictions"]["frames"]
    predicted = tmp_path / "predicted"
    predicted.mkdir()
    with tarfile.open(copy / entry["predictions"]["archive"]) as tar:
        tar.extractall(predicted, filter="data")
    write_entry({**entry, "predictions": write_archive(copy, "model-b", predicted, frames[:-1])
                 | {"frames": frames}}, copy)
    message = refusal(root, copy, "model-a", "model-b")
    assert message.startswith(f"{copy / 'predictions' / 'model-b.tar.gz'}: members are not exactly the 101 frames")
    assert f"missing {frames[-1]}.txt; unexpected, repeated or not a file none" in message


def test_an_entry_without_predictions_is_refused(root, board):
    assert refusal(root, board, "model-a", "old-v2") == (
        f"{board / 'old-v2.json'}: no stored predictions (entries before schema v3 kept them only in runs/); "
        "re-run it to compare")
