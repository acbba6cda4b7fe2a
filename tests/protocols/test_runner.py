"""Protocols end to end at the tiny profile: real renders, real training, real KITTI."""

import hashlib
import tarfile

import pytest

from drbench.detectors.mmdet_config import config_digest
from drbench.evaluate.report import evaluate_dirs
from drbench.events import EVENT_LOG, Event, last_run, logged_steps, read_events
from drbench.leaderboard.entries import read_entries
from drbench.profiles import PROFILES
from drbench.protocols import registry
from drbench.protocols.runner import leaderboard_scores, run_protocol

pytestmark = pytest.mark.slow


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
    assert {e["schema_version"] for e in stored.values()} == {3}
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
    assert len(list((pred / "pred").glob("*.txt"))) == 51, "an arm that saw real frames: real-test only"
    assert "scores_by_split" not in real and "scores_by_split" not in stored["dr-then-real-4"]
    assert dr["scores_by_split"]["all"]["n_frames"] == 101, "an arm that saw no real frame: every frame too"
    assert dr["scores_by_split"]["all"]["scores"]["0.5"]["easy"]["n_gt"] == 79
    assert len(dr["predictions"]["frames"]) == 101 and len(real["predictions"]["frames"]) == 51
    events = read_events(runs / EVENT_LOG)
    started = [e.metadata["kind"] for e in events if e.key == Event.STEP_START]
    assert started.count("generate") == 1 and started.count("train") == 3
    assert [e.value for e in events if e.key == Event.TRAIN_START] == ["faster_rcnn"] * 3
    progress = [e for e in events if e.key == Event.TRAIN_PROGRESS]
    assert progress and all(e.metadata["loss"] > 0 and e.metadata["seconds"] >= 0 for e in progress)
    (evaluation, every_frame, *_) = [e for e in events if e.key == Event.EVALUATION]
    assert (every_frame.value, every_frame.metadata["split"]) == (101, "all")
    assert evaluation.value == 51 and evaluation.metadata["scores"]["0.5"]["easy"]["ap40"] == \
        stored["dr"]["scores"]["0.5"]["easy"]["ap40"]
    assert [s.status for s in logged_steps(last_run(events))] == ["computed"] * 11
    order = [e.key for e in events if e.key in (Event.TRAIN_START, Event.ENTRY_WRITTEN)]
    assert order == [Event.TRAIN_START, Event.ENTRY_WRITTEN] * 3, \
        "each arm's entry is written before the next arm of its wave trains"

    again = run_protocol("fine-tune", "tiny", seed=3, runs_dir=runs, board_dir=board)
    rerun = last_run(read_events(runs / EVENT_LOG))
    assert not [e for e in rerun if e.key in (Event.STEP_START, Event.TRAIN_START)], \
        "a re-run must reuse every finished step"
    assert [(s.kind, s.status) for s in logged_steps(rerun)] == [("generate", "reused")] + [
        ("train", "reused"), ("predict", "reused"), ("evaluate", "reused")] + [("evaluate", "reused")] + [
        ("train", "reused"), ("predict", "reused"), ("evaluate", "reused")] * 2
    assert [e["scores"] for e in again] == [e["scores"] for e in entries]


def test_profiles_list_only_known_protocols():
    for name, settings in PROFILES.items():
        assert set(settings["protocols"]) <= set(registry()), name


def test_training_steps_are_keyed_by_the_detector_config_content(tmp_path):
    plan = run_protocol("detectors", "tiny", runs_dir=tmp_path / "runs", board_dir=tmp_path / "board",
                        dry_run=True)
    trains = [s for s in plan if s["kind"] == "train"]
    assert [s["params"]["detector"] for s in trains] == ["faster_rcnn", "rfcn", "ssd"]
    assert [s["params"]["detector_config"] for s in trains] == [
        config_digest(d) for d in ("faster_rcnn", "rfcn", "ssd")]
    assert len({s["key"] for s in trains}) == 3 and not (tmp_path / "runs" / "train").exists()


def test_an_entry_rescored_from_its_own_archive_gives_its_numbers(tmp_path, root):
    """The shipped predictions are the scored ones: the devkit on the extracted archive gives
    the entry's AP on both splits, exactly."""
    (entry,) = run_protocol("dr-only", "tiny", seed=1, runs_dir=tmp_path / "runs", board_dir=tmp_path / "board")
    record = entry["predictions"]
    archive = tmp_path / "board" / record["archive"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == record["sha256"]
    with tarfile.open(archive) as tar:
        assert sorted(m.name for m in tar.getmembers()) == [f"{f}.txt" for f in record["frames"]]
        tar.extractall(tmp_path / "extracted", filter="data")
    assert record["score_threshold"] == 0.001 and record["max_per_image"] == 100
    settings = PROFILES["tiny"]
    for split, scores in (("real-test", entry["scores"]), ("all", entry["scores_by_split"]["all"]["scores"])):
        report = evaluate_dirs(root, tmp_path / "extracted", split=split, bootstrap=settings["bootstrap"], seed=1)
        assert leaderboard_scores(report) == scores, split


def test_step_keys_hold_no_path_and_do_not_depend_on_the_folder(tmp_path):
    """The same plan from two runs folders has the same keys, and no parameter is a path."""
    plans = [run_protocol("fine-tune", "cpu", runs_dir=tmp_path / name, board_dir=tmp_path / "board",
                          dry_run=True) for name in ("here", "elsewhere")]
    assert [s["key"] for s in plans[0]] == [s["key"] for s in plans[1]]
    def strings(value):
        if isinstance(value, dict):
            return [t for v in value.values() for t in strings(v)]
        if isinstance(value, list):
            return [t for v in value for t in strings(v)]
        return [value] if isinstance(value, str) else []

    assert not [t for step in plans[0] for t in strings(step["params"]) if t.startswith("/") or "\\" in t]
