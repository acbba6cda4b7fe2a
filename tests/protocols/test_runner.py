"""Protocols end to end at the tiny profile: real renders, real training, real KITTI."""

import json

import pytest

from drbench.leaderboard.entries import read_entries
from drbench.profiles import PROFILES
from drbench.protocols.runner import run_protocol

pytestmark = pytest.mark.slow


def _events(runs):
    return [json.loads(line) for line in (runs / "events.jsonl").read_text().splitlines()]


def test_fine_tune_scores_every_arm_shares_steps_and_resumes(tmp_path):
    runs, board = tmp_path / "runs", tmp_path / "board"
    plan = run_protocol("fine-tune", "tiny", seed=3, runs_dir=runs, board_dir=board, dry_run=True)
    assert [s["kind"] for s in plan].count("train") == 3 and not (runs / "train").exists()

    entries = run_protocol("fine-tune", "tiny", seed=3, runs_dir=runs, board_dir=board)
    assert [e["arm"] for e in entries] == ["dr", "dr-then-real-4", "real-4"]
    stored = {e["arm"]: e for e in read_entries(board)}  # schema and content hash checked
    assert set(stored) == {"dr", "dr-then-real-4", "real-4"}
    for entry in stored.values():
        easy = entry["scores"]["0.5"]["easy"]
        assert easy["n_gt"] == 38 and 0 <= easy["ap40"] <= 92.5
        assert easy["ap40_ci95"][0] <= easy["ap40_ci95"][1]
    assert stored["dr-then-real-4"]["trained_on"] == "dr:4 then real:4"

    assert len(list((runs / "generate").iterdir())) == 1, "one DR data set for the protocol"
    (generated,) = (runs / "generate").iterdir()
    dr, real = stored["dr"], stored["real-4"]
    assert {e["schema_version"] for e in stored.values()} == {2}
    assert dr["dataset"]["kind"] == "dr" and dr["dataset"]["config_hash"] == generated.name
    assert dr["dataset"]["fingerprint"]["images"] == 4 == dr["dataset"]["n_images"]
    assert real["dataset"]["kind"] == "real" and len(real["dataset"]["frames"]) == 4
    assert stored["dr-then-real-4"]["dataset"] == real["dataset"], "its own data: the same 4 frames"
    thumbnail = board / dr["thumbnail"]
    assert thumbnail.read_bytes()[:3] == b"\xff\xd8\xff" and thumbnail.stat().st_size < 60_000
    assert "thumbnail" not in real and "thumbnail" not in stored["dr-then-real-4"], \
        "real KITTI frames must not be shown on the board"
    assert len(list((runs / "train").iterdir())) == 3
    (pred,) = [p for p in (runs / "predict").iterdir()
               if p.name == stored["real-4"]["steps"]["predict"]]
    assert len(list((pred / "pred").glob("*.txt"))) == 51
    kinds = [e["key"] for e in _events(runs)]
    assert kinds.count("generate_start") == 1 and kinds.count("train_start") == 3

    before = len(_events(runs))
    again = run_protocol("fine-tune", "tiny", seed=3, runs_dir=runs, board_dir=board)
    new = [e["key"] for e in _events(runs)[before:]]
    assert not [k for k in new if k.endswith("_start") and k != "protocol_start"], \
        "a re-run must reuse every finished step"
    assert [e["scores"] for e in again] == [e["scores"] for e in entries]


def test_profiles_list_only_known_protocols():
    from drbench.protocols import registry

    for name, settings in PROFILES.items():
        assert set(settings["protocols"]) <= set(registry()), name


def test_training_steps_are_keyed_by_the_detector_config_content(tmp_path):
    from drbench.detectors.config import config_digest

    plan = run_protocol("detectors", "tiny", runs_dir=tmp_path / "runs", board_dir=tmp_path / "board",
                        dry_run=True)
    trains = [s for s in plan if s["kind"] == "train"]
    assert [s["params"]["detector"] for s in trains] == ["faster_rcnn", "rfcn", "ssd"]
    assert [s["params"]["detector_config"] for s in trains] == [
        config_digest(d) for d in ("faster_rcnn", "rfcn", "ssd")]
    assert len({s["key"] for s in trains}) == 3 and not (tmp_path / "runs" / "train").exists()
