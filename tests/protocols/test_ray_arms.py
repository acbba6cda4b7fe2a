"""Protocol arms on a real local Ray cluster: a wave's arms train side by side, later waves wait,
and the step cache is the one a local run uses."""

import io
import json

import pytest
from ray_cluster import local_cluster
from rich.console import Console

from drbench.protocols import protocol
from drbench.protocols.runner import expand_arms, run_protocol, waves
from drbench.profiles import profile

pytestmark = pytest.mark.slow


def _events(runs):
    return [json.loads(line) for line in (runs / "events.jsonl").read_text().splitlines()]


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
    assert [e["arm"] for e in entries] == ["dr", "dr-then-real-4", "real-4"], "protocol order"
    events = _events(runs)
    started = {e["value"]: e for e in events if e["key"] == "arm_task_start"}
    assert set(started) == {"dr", "real-4", "dr-then-real-4"}
    first_train_stop = min(e["time_ms"] for e in events if e["key"] == "train_stop")
    assert started["dr"]["time_ms"] < first_train_stop and started["real-4"]["time_ms"] < first_train_stop, \
        "the first wave's two arms train at the same time"
    assert started["dr"]["metadata"]["pid"] != started["real-4"]["metadata"]["pid"]
    dr_done = next(e["time_ms"] for e in events
                   if e["key"] == "evaluate_stop" and e["value"]["key"] == entries[0]["steps"]["evaluate"])
    assert started["dr-then-real-4"]["time_ms"] > dr_done, "fine-tuning waits for the DR model"
    assert entries[1]["trained_on"] == "dr:4 then real:4"
    for entry in entries:
        easy = entry["scores"]["0.5"]["easy"]
        assert easy["n_gt"] == 38 and 0 <= easy["ap40"] <= 92.5

    before = len(_events(runs))
    again = run_protocol("fine-tune", "tiny", seed=5, runs_dir=runs, board_dir=board,
                         console=Console(file=io.StringIO()))
    new = [e["key"] for e in _events(runs)[before:]]
    assert not [k for k in new if k.endswith("_start") and k != "protocol_start"], \
        "a local re-run finds every step the Ray tasks cached"
    assert [e["scores"] for e in again] == [e["scores"] for e in entries]
