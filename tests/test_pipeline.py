"""``drbench all`` end to end at the tiny profile: real renders, real training, real KITTI."""

import json

import pytest

from drbench.leaderboard import read_entries
from drbench.pipeline import run_all

pytestmark = pytest.mark.slow


def test_all_writes_a_valid_entry_and_resumes(tmp_path):
    runs, board = tmp_path / "runs", tmp_path / "board"
    entry = run_all("tiny", seed=3, runs_dir=runs, board_dir=board)

    (stored,) = read_entries(board)  # schema-checked on read
    assert stored["run_id"] == entry["run_id"] and stored["profile"] == "tiny"
    assert stored["test_split"] == "real-test" and stored["seeds"]["run"] == 3
    easy = stored["scores"]["0.5"]["easy"]
    assert easy["n_gt"] == 38 and 0 <= easy["ap40"] <= 92.5
    assert easy["ap40_ci95"][0] <= easy["ap40_ci95"][1]
    assert set(stored["timings_s"]) == {"generate", "train", "predict", "evaluate"}

    run_dir = runs / entry["run_id"]
    assert len(list((run_dir / "generate" / "data" / "image_2").glob("*.png"))) == 4
    assert len(list((run_dir / "predict" / "pred").glob("*.txt"))) == 51
    assert (run_dir / "evaluate" / "pr_curves.png").is_file()
    keys = [e["key"] for e in map(json.loads, (run_dir / "events.jsonl").read_text().splitlines())]
    assert keys[0] == "run_start" and keys[-1] == "run_stop" and "train_stop" in keys

    again = run_all("tiny", seed=3, runs_dir=runs, board_dir=board)
    keys_after = [e["key"] for e in map(json.loads, (run_dir / "events.jsonl").read_text().splitlines())]
    new_keys = keys_after[len(keys):]
    assert new_keys == ["run_start", "run_stop"], "finished stages must be reused, not rerun"
    assert again["scores"] == entry["scores"]


def test_unknown_profile_is_named():
    with pytest.raises(KeyError, match="unknown profile 'huge'"):
        run_all("huge")
