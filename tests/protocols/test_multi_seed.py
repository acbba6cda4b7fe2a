"""--seeds K: K real tiny runs summarised per arm with a Student-t interval over seeds."""

import pytest

from drbench.cli import main
from drbench.leaderboard.entries import read_entries


@pytest.mark.slow
def test_seeds_run_write_members_and_a_summary(tmp_path, root):
    board = tmp_path / "board"
    code = main(["run", "dr-only", "--profile", "tiny", "--seeds", "2", "--seed", "5", "--kitti-root", str(root),
                 "--runs-dir", str(tmp_path / "runs"), "--board-dir", str(board)])
    assert code == 0
    entries = read_entries(board)  # all three pass the schema and the content hash
    members = sorted((e for e in entries if "aggregate" not in e), key=lambda e: e["seeds"]["run"])
    (summary,) = [e for e in entries if "aggregate" in e]
    assert [e["seeds"]["run"] for e in members] == [5, 6]
    assert members[0]["dataset"]["config_hash"] != members[1]["dataset"]["config_hash"], "new data per seed"
    assert summary["aggregate"]["members"] == [e["run_id"] for e in members]
    for iou in ("0.5", "0.7"):
        for level in ("easy", "moderate", "hard"):
            values = [e["scores"][iou][level]["ap40"] for e in members]
            result = summary["scores"][iou][level]
            assert result["ap40"] == pytest.approx(sum(values) / 2, abs=1e-3)
            assert result["ap40_ci95"][0] <= min(values) + 1e-3 and result["ap40_ci95"][1] >= max(values) - 1e-3
    assert summary["trained_on"] == "dr:4 x 2 seeds"
