"""``drbench verify`` on the committed board and on copies of it broken on purpose: each entry's
stated AP recomputed from its prediction archive with the real kitti-mini labels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from drbench.cli import main
from drbench.leaderboard.entries import content_hash
from drbench.leaderboard.verify import verify_board

BOARD = Path(__file__).resolve().parents[2] / "leaderboards"
HDRI, CLUTTER = "dr-only-dr-hdri-cpu-42a3052f", "dr-only-dr-clutter-cpu-0b21a411"


def copy_entries(board: Path, *names: str) -> None:
    """Copy entries (an aggregate with its members) and their archives into ``board``."""
    (board / "predictions").mkdir(parents=True, exist_ok=True)
    for name in names:
        entry = json.loads((BOARD / f"{name}.json").read_text())
        shutil.copy(BOARD / f"{name}.json", board / f"{name}.json")
        if "predictions" in entry:
            shutil.copy(BOARD / entry["predictions"]["archive"], board / entry["predictions"]["archive"])
        for member in entry.get("aggregate", {}).get("members", []):
            copy_entries(board, member)


def reseal(path: Path, change) -> None:
    entry = json.loads(path.read_text())
    change(entry)
    entry["content_sha256"] = content_hash(entry)
    path.write_text(json.dumps(entry))


def test_every_committed_entry_recomputes_from_its_own_predictions(root):
    verdicts = verify_board(BOARD, root)
    assert len(verdicts) == len(list(BOARD.glob("*.json")))
    assert [(v.path.name, v.problems) for v in verdicts if not v.ok] == []
    dr_only = [v for v in verdicts if v.path.name.startswith("dr-only-") and "seeds" not in v.run_id]
    assert dr_only and all(v.splits == ["real-test", "all"] and v.cells == 24 for v in dr_only)


def test_another_entrys_predictions_behind_an_entry_are_caught_cell_by_cell(root, tmp_path, capsys):
    board = tmp_path / "leaderboards"
    copy_entries(board, HDRI, CLUTTER)
    clutter = json.loads((board / f"{CLUTTER}.json").read_text())["predictions"]
    shutil.copy(board / clutter["archive"], board / "predictions" / f"{HDRI}.tar.gz")
    reseal(board / f"{HDRI}.json", lambda e: e["predictions"].update(sha256=clutter["sha256"]))
    verdicts = {v.run_id: v for v in verify_board(board, root)}
    assert verdicts[CLUTTER].ok and not verdicts[HDRI].ok
    assert "real-test ap40@0.5 easy: states 45.3016, its predictions give 58.1484" in verdicts[HDRI].problems
    assert main(["verify", "--board-dir", str(board), "--kitti-root", str(root)]) == 1
    assert "1 of 2 entries recompute to within 0.0001 AP; 1 do not" in " ".join(capsys.readouterr().out.split())


def test_an_aggregate_recomputes_through_its_members_and_names_a_missing_archive(root, tmp_path, capsys):
    board = tmp_path / "leaderboards"
    copy_entries(board, "baseline-cpu")
    assert main(["verify", "--board-dir", str(board), "--kitti-root", str(root)]) == 0
    assert "4 of 4 entries recompute" in capsys.readouterr().out
    member = json.loads((board / "baseline-cpu.json").read_text())["aggregate"]["members"][1]
    (board / "predictions" / f"{member}.tar.gz").unlink()
    problems = {v.path.name: v.problems for v in verify_board(board, root) if not v.ok}
    assert sorted(problems) == ["baseline-cpu.json", f"{member}.json"]
    assert all(f"predictions/{member}.tar.gz: prediction archive of" in p[0] for p in problems.values())


def test_an_entry_without_predictions_cannot_pass(root, tmp_path):
    """Schema v2 entries (before predictions were kept) still read, but cannot be checked."""
    board = tmp_path / "leaderboards"
    copy_entries(board, HDRI)
    reseal(board / f"{HDRI}.json", lambda e: (e.pop("predictions"), e.update(schema_version=2)))
    (verdict,) = verify_board(board, root)
    assert verdict.problems == ["no stored predictions: its scores cannot be recomputed"] and not verdict.ok


@pytest.mark.parametrize("damage", [lambda p: p.write_text("{"), lambda p: p.write_text("{}")])
def test_a_broken_entry_file_is_named_not_raised(root, tmp_path, damage):
    board = tmp_path / "leaderboards"
    copy_entries(board, HDRI)
    damage(board / f"{HDRI}.json")
    (verdict,) = verify_board(board, root)
    assert not verdict.ok and f"{HDRI}.json" in verdict.problems[0]
