"""A training run given an event log writes its start, its loss at every logging interval and its stop."""

import json

import pytest

from drbench.events import Event, read_events

pytestmark = pytest.mark.slow


def test_training_logs_start_each_intervals_loss_and_stop(trained):
    run = trained("faster_rcnn")  # 4 iterations: mmengine's logging interval is 1
    events = read_events(run.events)
    assert [e.key for e in events] == [Event.TRAIN_START] + [Event.TRAIN_PROGRESS] * 4 + [Event.TRAIN_STOP]
    start, *progress, stop = events
    assert start.value == "faster_rcnn"
    assert start.metadata["start_iter"] == 0 and start.metadata["max_iters"] == 4
    assert [e.value for e in progress] == [1, 2, 3, 4]
    seconds = [e.metadata["seconds"] for e in progress]
    assert seconds == sorted(seconds) and stop.metadata["seconds"] >= seconds[-1]
    assert stop.value == "faster_rcnn" and stop.metadata["iteration"] == 4

    # mmengine logs the loss averaged over the iterations so far; undo the mean per iteration.
    (scalars,) = run.work_dir.glob("*/vis_data/scalars.json")
    means = [json.loads(line)["loss"] for line in scalars.read_text().splitlines()]
    losses = [means[0]] + [(k + 1) * means[k] - k * means[k - 1] for k in range(1, len(means))]
    assert [e.metadata["loss"] for e in progress] == pytest.approx(losses, abs=5e-4)
