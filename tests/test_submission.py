"""``drbench submit``: each rule fails for the submission that breaks it, and only then
nothing is written; a compliant one is scored as a submission entry (tiny profile)."""

from pathlib import Path

import pytest

from drbench.cli import main
from drbench.leaderboard.entries import read_entries
from drbench.submission import RULES, SubmissionRejected, check, check_config, submit

CHEATS = Path(__file__).resolve().parent / "submission_randomizers.py"


def _failed(findings):
    return {f.rule: f.detail for f in findings if not f.passed}


def test_config_may_set_only_the_randomizers_parameters():
    assert _failed(check_config({"params": {"max_noise": 3}}, "s.yaml")) == {}
    failed = _failed(check_config({"width": 1600, "n": 10, "lr": 0.1, "texture_dir": "x", "params": {}}, "s.yaml"))
    assert failed == {"render-settings": "s.yaml sets width", "image-budget": "s.yaml sets n",
                      "detector-recipe": "s.yaml sets lr",
                      "config": "s.yaml sets texture_dir; only 'params' is allowed"}


@pytest.mark.slow
@pytest.mark.parametrize("name, rule, detail", [
    ("PeeksAtKitti", "no-real-images", "training/image_2/000000.png"),
    ("BiggerImages", "render-settings", "render setting width changed from 320 to 640"),
    ("Breaks", "samples", "RuntimeError: deliberately broken"),
])
def test_each_rule_catches_its_cheat_and_nothing_is_written(tmp_path, root, monkeypatch, name, rule, detail):
    monkeypatch.setenv("DRBENCH_KITTI_ROOT", str(root))
    board = tmp_path / "board"
    with pytest.raises(SubmissionRejected) as caught:
        submit(f"{CHEATS}:{name}", None, "tiny", runs_dir=tmp_path / "runs", board_dir=board)
    failed = _failed(caught.value.findings)
    assert rule in failed and detail in failed[rule], failed
    assert f"rule {rule!r} ({RULES[rule]})" in str(caught.value)
    assert not board.exists() and not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_unknown_randomizer_fails_to_load(tmp_path):
    assert "loads" in _failed(check("no_such_randomizer", {}, "tiny"))


@pytest.mark.slow
def test_compliant_submission_is_scored_and_marked(tmp_path, root, capsys):
    config = tmp_path / "sensor.yaml"
    config.write_text("params: {max_noise: 3.0, dof_share: 0.0}\n")
    board = tmp_path / "board"
    code = main(["submit", "sensor", "--config", str(config), "--profile", "tiny", "--kitti-root", str(root),
                 "--runs-dir", str(tmp_path / "runs"), "--board-dir", str(board)])
    assert code == 0
    (entry,) = read_entries(board)
    assert entry["arm"] == "dr-sensor" and entry["protocol"] == "dr-only"
    assert entry["submission"]["randomizer"] == "sensor"
    assert entry["submission"]["params"] == {"max_noise": 3.0, "dof_share": 0.0}
    assert set(entry["submission"]["compliance"]) == set(RULES)
    assert entry["trained_on"] == "dr:4 (dr-sensor)"
    assert "compliance check" in capsys.readouterr().out
