"""The run model: shard slicing, what a resumed run has left, and its event log (with real tiny renders)."""

from pathlib import Path

import pytest

from drbench.events import Event, EventLog, read_events
from drbench.generate import Settings, generate
from drbench.generate.generation_run import GenerationRun, image_paths, parse_shard, shard_indices
from drbench.generate.seeds import image_seed

TINY = dict(width=160, height=48, max_cars=2)


def test_shards_partition_the_indices():
    slices = [shard_indices(10, (i, 3)) for i in range(3)]
    assert slices == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert sorted(sum(slices, [])) == list(range(10))
    assert parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "1-4", "-1/2", "0/0"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


def test_a_resumed_run_has_left_what_is_not_complete(tmp_path):
    settings = Settings(**TINY)
    for index, kinds in ((0, ("image", "label", "side")), (2, ("image", "side"))):  # 2 lacks its label
        for kind in kinds:
            path = Path(image_paths(tmp_path, index, masks=False)[kind])
            path.parent.mkdir(exist_ok=True)
            path.write_text("x")
    with pytest.raises(FileExistsError):
        GenerationRun.for_folder(tmp_path, 4, 0, settings)
    run = GenerationRun.for_folder(tmp_path, 4, 0, settings, resume=True)
    assert (run.indices, run.todo, list(run.queue)) == ([0, 1, 2, 3], [1, 2, 3], [1, 2, 3])
    shard = GenerationRun.for_folder(tmp_path, 4, 0, settings, resume=True, shard="1/2")
    assert (shard.indices, shard.todo, shard.manifest_path.name) == ([1, 3], [1, 3], "manifest.shard-1-of-2.json")
    with pytest.raises(ValueError, match="max_failures"):
        GenerationRun.for_folder(tmp_path, 4, 0, settings, resume=True, max_failures=-1)


@pytest.mark.slow
def test_a_generation_logs_its_start_failed_images_and_stop_in_order(monkeypatch, tmp_path):
    monkeypatch.setenv("DRBENCH_WORKER_FAULT", "1:exit:always")  # image 1 fails twice: recorded as failed
    settings = Settings(**TINY)
    log = EventLog(tmp_path / "events.jsonl")
    result = generate(tmp_path / "run", 3, seed=3, settings=settings, progress=False, events=log)
    assert result["generated"] == 2 and list(result["failed"]) == [1]

    start, failed, stop = read_events(log.path)
    assert [start.key, failed.key, stop.key] == [Event.GENERATION_START, Event.IMAGE_FAILED,
                                                           Event.GENERATION_STOP]
    assert start.value == settings.digest(3) == result["dataset"]
    assert {key: start.metadata[key] for key in ("n", "seed", "indices")} == {"n": 3, "seed": 3,
                                                                                 "indices": [0, 1, 2]}
    assert failed.value == 1 and failed.metadata["seed"] == image_seed(3, 1)
    assert failed.metadata["error"] == result["failed"][1] and "worker died" in failed.metadata["error"]
    assert stop.value == settings.digest(3)
    assert (stop.metadata["rendered"], stop.metadata["failed"]) == (2, 1) and stop.metadata["seconds"] > 0

    monkeypatch.delenv("DRBENCH_WORKER_FAULT")  # resumed: only image 1 is left, and it renders
    generate(tmp_path / "run", 3, seed=3, settings=settings, resume=True, progress=False, events=log)
    start, stop = read_events(log.path)[3:]
    assert (start.key, start.metadata["indices"]) == (Event.GENERATION_START, [1])
    assert (stop.key, stop.metadata["rendered"], stop.metadata["failed"]) == (Event.GENERATION_STOP, 1, 0)
