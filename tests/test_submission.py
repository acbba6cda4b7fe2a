"""``drbench submit``: each rule fails for the submission that breaks it, and only then
nothing is written; a compliant one is scored as a submission entry (tiny profile) once
its run's event log shows every step behind the entry."""

import shutil
from pathlib import Path

import pytest

from drbench.cli import main
from drbench.events import EVENT_LOG, Event, EventLog, last_run, logged_steps, read_events
from drbench.generate.api import with_randomizers
from drbench.generate.settings import DEFAULT_RANDOMIZERS
from drbench.leaderboard.comparison import against_baseline
from drbench.leaderboard.entries import read_entries
from drbench.paths import REPO_ROOT
from drbench.protocols import Arm
from drbench.protocols.runner import with_extra_randomizers
from drbench.submission import RULES, SubmissionRejected, check, check_config, check_run_log, read_config, submit

CHEATS = Path(__file__).resolve().parent / "submission_randomizers.py"
LANE0 = REPO_ROOT / "drbench" / "generate" / "examples" / "cars-lane0.yaml"


def _failed(findings):
    return {f.rule: f.detail for f in findings if not f.passed}


def test_config_may_set_only_the_randomizers_parameters():
    assert _failed(check_config({"params": {"max_noise": 3}}, "s.yaml")) == {}
    failed = _failed(check_config({"width": 1600, "n": 10, "lr": 0.1, "texture_dir": "x", "params": {}}, "s.yaml"))
    assert failed == {"render-settings": "s.yaml sets width", "image-budget": "s.yaml sets n",
                      "detector-recipe": "s.yaml sets lr",
                      "config": "s.yaml sets texture_dir; only 'params' is allowed"}


def test_a_submitted_baseline_randomizer_replaces_its_entry_in_place():
    lane0 = read_config(LANE0)
    assert lane0 == {"params": {"lane_share": 0}} and _failed(check_config(lane0, str(LANE0))) == {}
    entry = {"name": "cars", **lane0}
    arm, variant = with_extra_randomizers(Arm(name="dr", data="dr"), {}, [entry])
    assert arm.name == "dr-cars"
    assert variant["randomizers"] == [DEFAULT_RANDOMIZERS[0], entry, *DEFAULT_RANDOMIZERS[2:]]
    # a new axis is appended; so is an entry with an id of its own (another stream)
    parked = {"name": "cars", "params": {"max_cars": 2}, "id": "parked"}
    assert with_randomizers(["camera", "cars"], ["sensor", parked]) == ["camera", "cars", "sensor", parked]


@pytest.mark.slow
def test_the_paper_placement_example_passes_the_checks_as_the_baselines_cars():
    assert _failed(check("cars", read_config(LANE0), "tiny", where=str(LANE0))) == {}


def _dr_entry(arm="dr-sensor"):
    return {"arm": arm, "dataset": {"kind": "dr", "config_hash": "gen"},
            "steps": {"train": "trn", "predict": "prd", "evaluate": "evl"}}


def _logged(folder, steps):
    """A hand-made event log: an earlier run, then one whose steps are (status, kind, key)."""
    log = EventLog(folder / EVENT_LOG)
    log.event(Event.PROTOCOL_START, "dr-only")
    log.event(Event.STEP_STOP, {"key": "prd"}, kind="predict")  # not this run's
    log.event(Event.PROTOCOL_START, "dr-only")
    for status, kind, key in steps:
        if status == "reused":
            log.event(Event.STEP_REUSED, key, kind=kind)
            continue
        log.event(Event.STEP_START, key, kind=kind, params={}, upstream=[])
        if status == "computed":  # else started and never stopped: the run died in it
            log.event(Event.STEP_STOP, {"key": key, "seconds": 1.0}, kind=kind)
    return logged_steps(last_run(read_events(log.path)))


FULL = [("reused", "generate", "gen"), ("computed", "train", "trn"), ("computed", "predict", "prd"),
        ("computed", "evaluate", "evl")]


def test_run_log_check_wants_each_step_of_each_arm_in_order(tmp_path):
    finding = check_run_log(_logged(tmp_path / "full", FULL), [_dr_entry()])
    assert finding.passed and finding.rule == "run-log", finding.detail

    died = check_run_log(_logged(tmp_path / "died", FULL[:2] + [("started", "predict", "prd")] + FULL[3:]),
                         [_dr_entry()])
    assert not died.passed and died.detail == "arm dr-sensor: no predict step prd in the run's event log"
    assert "rule 'run-log'" in str(SubmissionRejected([died])) and "no predict step prd" in str(
        SubmissionRejected([died]))

    swapped = check_run_log(_logged(tmp_path / "swapped", [FULL[0], FULL[2], FULL[1], FULL[3]]), [_dr_entry()])
    assert swapped.detail == "arm dr-sensor: steps logged out of order (generate -> predict -> train -> evaluate)"

    no_data = check_run_log(_logged(tmp_path / "no-data", FULL[1:]), [_dr_entry(), _dr_entry("dr-2")])
    assert no_data.detail == ("arm dr-sensor: no generate step gen in the run's event log; "
                              "arm dr-2: no generate step gen in the run's event log")
    real = {**_dr_entry("real-4"), "dataset": {"kind": "real", "config_hash": "frames"}}
    assert check_run_log(_logged(tmp_path / "real", FULL[1:]), [real]).passed, "real frames: no data step"


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
    assert set(entry["submission"]["compliance"]) == set(RULES) - {"run-log"}, "checked before the run"
    assert entry["trained_on"] == "dr:4 (dr-sensor)"
    out = capsys.readouterr().out
    assert "compliance check" in out and "verdict: no baseline for profile tiny" in " ".join(out.split())
    assert (board / entry["thumbnail"]).read_bytes()[:3] == b"\xff\xd8\xff", "published with its entry"

    log = tmp_path / "runs" / EVENT_LOG
    run = last_run(read_events(log))
    assert [(s.kind, s.status) for s in logged_steps(run)] == [
        ("generate", "computed"), ("train", "computed"), ("predict", "computed"), ("evaluate", "computed"),
        ("evaluate", "computed")], "a DR arm is scored on real-test, then on every frame"
    assert [e.value for e in run if e.key == Event.ENTRY_PUBLISHED] == [str(board / f"{entry['run_id']}.json")]
    assert (board / entry["predictions"]["archive"]).is_file(), "published with its predictions"

    again = submit("sensor", config, "tiny", kitti_root=str(root), runs_dir=tmp_path / "runs", board_dir=board)
    assert [e["scores"] for e in again] == [entry["scores"]]
    assert {s.status for s in logged_steps(last_run(read_events(log)))} == {"reused"}

    shutil.copy(board / f"{entry['run_id']}.json", board / "baseline-tiny.json")  # itself as the baseline
    verdict = against_baseline(board / f"{entry['run_id']}.json", board, root)
    assert verdict.startswith("the submission and the baseline are not distinguishable at AP40@0.5 easy: +0.0")
    assert "on 101 frames" in verdict
