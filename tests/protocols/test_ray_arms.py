"""Protocol arms on a real local Ray cluster: a wave's arms train side by side, later waves wait,
and the step cache is the one a local run uses."""

import io

import pytest
from ray_cluster import local_cluster
from rich.console import Console

from drbench.events import EVENT_LOG, Event, EventLog, last_run, logged_steps, read_events
from drbench.paths import kitti_root
from drbench.profiles import profile
from drbench.protocols import protocol
from drbench.protocols.ray_arms import score_on_ray
from drbench.protocols.runner import expand_arms, prepare_arm, run_protocol, waves
from drbench.steps import StepRunner

pytestmark = pytest.mark.slow


def test_waves_put_an_arm_after_the_arm_it_starts_from():
    grouped = waves(expand_arms(protocol("fine-tune").arms, {**profile("cpu"), "real_n": [10, 50]}))
    assert [[arm.name for _, arm, _ in wave] for wave in grouped] == [
        ["dr", "real-10", "real-50"], ["dr-then-real-10", "dr-then-real-50"]]
    assert [position for wave in grouped for position, _, _ in wave] == [0, 3, 4, 1, 2]


def test_fine_tune_on_ray_trains_a_wave_side_by_side_and_fills_the_local_cache(tmp_path):
    runs, board = tmp_path / "runs", tmp_path / "board"
    with local_cluster(2) as address:
        entries = run_protocol("fine-tune", "tiny", seed=5, runs_dir=runs, board_dir=board,
                               ray_address=address, console=Console(file=io.StringIO()))
        events = read_events(runs / EVENT_LOG)
        steps = StepRunner(runs, EventLog(runs / EVENT_LOG), Console(file=io.StringIO()))
        arm = protocol("fine-tune").arms[0]
        job, _ = prepare_arm(arm, {}, profile("tiny"), 5, steps, kitti_root(), None, {})
        twice = score_on_ray([job, job], steps, address, {"num_cpus": 1})
    assert twice[0] == twice[1] and twice[0]["evaluations"][0]["key"] == entries[0]["steps"]["evaluate"]
    assert [e.key for e in read_events(runs / EVENT_LOG)[len(events):]].count(Event.ARM_TASK) == 1, \
        "arms with the same training step share one task"
    assert [e["arm"] for e in entries] == ["dr", "dr-then-real-4", "real-4"], "protocol order"
    started = {e.value: e for e in events if e.key == Event.ARM_TASK_START}
    assert set(started) == {"dr", "real-4", "dr-then-real-4"}
    first_train_stop = min(e.time_ms for e in events
                           if e.key == Event.STEP_STOP and e.metadata["kind"] == "train")
    assert started["dr"].time_ms < first_train_stop and started["real-4"].time_ms < first_train_stop, \
        "the first wave's two arms train at the same time"
    assert started["dr"].metadata["pid"] != started["real-4"].metadata["pid"]
    dr_done = next(e.time_ms for e in events
                   if e.key == Event.STEP_STOP and e.value["key"] == entries[0]["steps"]["evaluate"])
    assert started["dr-then-real-4"].time_ms > dr_done, "fine-tuning waits for the DR model"
    assert sorted(s.kind for s in logged_steps(last_run(events))) == sorted(
        ["generate"] + ["train", "predict", "evaluate"] * 3 + ["evaluate"]), \
        "every step the Ray tasks ran is logged (the DR arm is also scored on every frame)"
    assert entries[1]["trained_on"] == "dr:4 then real:4"
    for entry in entries:
        easy = entry["scores"]["0.5"]["easy"]
        assert easy["n_gt"] == 38 and 0 <= easy["ap40"] <= 92.5

    again = run_protocol("fine-tune", "tiny", seed=5, runs_dir=runs, board_dir=board,
                         console=Console(file=io.StringIO()))
    rerun = last_run(read_events(runs / EVENT_LOG))
    assert not [e for e in rerun if e.key == Event.STEP_START], "a local re-run computes nothing"
    assert {s.status for s in logged_steps(rerun)} == {"reused"}, \
        "a local re-run finds every step the Ray tasks cached"
    assert [e["scores"] for e in again] == [e["scores"] for e in entries]
