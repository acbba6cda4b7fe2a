"""An mmengine hook that writes a training run to drbench's event log.

``train_start`` when the loop starts (from a resumed iteration, if any),
``train_progress`` every logging interval (iteration, that iteration's loss,
seconds since the start) and ``train_stop`` at the end, so a protocol run's
log shows how its training went and where a killed one stopped. Only the
main process of a distributed run writes.
"""

from __future__ import annotations

import time

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from drbench.events import Event, EventLog


class TrainEventsHook(Hook):
    """``interval``: log progress every that many iterations (and at the last one)."""

    priority = "VERY_LOW"  # after the optimizer and the other hooks of an iteration

    def __init__(self, events: EventLog, detector: str, interval: int) -> None:
        self.events, self.detector, self.interval = events, detector, interval
        self.started = 0.0

    def before_train(self, runner) -> None:
        self.started = time.perf_counter()
        if is_main_process():
            self.events.event(Event.TRAIN_START, self.detector, start_iter=runner.iter,
                              max_iters=runner.max_iters, work_dir=runner.work_dir)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not is_main_process() or not (self.every_n_train_iters(runner, self.interval)
                                         or self.is_last_train_iter(runner)):
            return
        loss = (outputs or {}).get("loss")
        self.events.event(Event.TRAIN_PROGRESS, runner.iter + 1,
                          loss=None if loss is None else round(loss.item(), 6),
                          seconds=round(time.perf_counter() - self.started, 2))

    def after_train(self, runner) -> None:
        if is_main_process():
            self.events.event(Event.TRAIN_STOP, self.detector, iteration=runner.iter,
                              seconds=round(time.perf_counter() - self.started, 2))
