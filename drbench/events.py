"""MLPerf-style structured event log: one JSON object per line, appended as work happens.

A run's log says what ran, with which settings, how long each stage took and
how it ended, so a result can be checked (and a crash diagnosed) after the fact.
Every key is a member of :class:`Event`, so writers and readers (the submission
checker, tests) agree on names instead of matching ad-hoc strings.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

EVENT_LOG = "events.jsonl"  # the log's file name in a runs dir


class Event(StrEnum):
    """The keys a drbench event log may hold."""

    PROTOCOL_START = "protocol_start"      # value: protocol name
    PROTOCOL_STOP = "protocol_stop"
    ARM_ABSENT = "arm_absent"              # value: arm name (e.g. no Virtual KITTI root)
    ARM_TASK = "arm_task"                  # a Ray task scheduled for an arm
    ARM_TASK_START = "arm_task_start"
    STEP_START = "step_start"              # value: step key; metadata: kind, params, upstream
    STEP_STOP = "step_stop"                # value: the step's result; metadata: kind
    STEP_REUSED = "step_reused"            # value: step key; metadata: kind; a cached result was used
    GENERATION_START = "generation_start"  # inside a generate step
    IMAGE_FAILED = "image_failed"
    GENERATION_STOP = "generation_stop"
    TRAIN_START = "train_start"            # inside a train step; value: detector
    TRAIN_PROGRESS = "train_progress"      # every logging interval; value: iteration; metadata: loss, seconds
    TRAIN_STOP = "train_stop"
    EVALUATION = "evaluation"              # inside an evaluate step; value: frames; metadata: split, scores
    ENTRY_WRITTEN = "entry_written"        # value: the entry file written
    ENTRY_PUBLISHED = "entry_published"    # value: a staged submission entry, copied onto the board


class EventLog:
    """Append-only JSON-lines log; each line is flushed and fsynced."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def event(self, key: Event, value: Any = None, **metadata: Any) -> dict:
        record = {"time_ms": int(time.time() * 1000), "key": Event(key).value, "value": value}
        if metadata:
            record["metadata"] = metadata
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return record


@dataclass(frozen=True)
class Record:
    """One line of an event log."""

    time_ms: int
    key: Event
    value: Any = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedStep:
    """A step that finished in a run: computed there, or its cached result reused."""

    kind: str
    key: str
    status: Literal["computed", "reused"]


def read_events(path: str | os.PathLike) -> list[Record]:
    """Every record of the log at ``path`` in the order written (none when there is no log)."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    return [Record(line["time_ms"], Event(line["key"]), line.get("value"), line.get("metadata", {}))
            for line in lines]


def last_run(records: list[Record]) -> list[Record]:
    """The records from the last ``protocol_start`` on: the latest protocol run (all when none)."""
    starts = [i for i, record in enumerate(records) if record.key == Event.PROTOCOL_START]
    return records[starts[-1]:] if starts else list(records)


def logged_steps(records: list[Record]) -> list[LoggedStep]:
    """The steps that finished, in log order; a step started and never stopped is not one."""
    steps = []
    for record in records:
        if record.key == Event.STEP_STOP:
            steps.append(LoggedStep(record.metadata["kind"], record.value["key"], "computed"))
        elif record.key == Event.STEP_REUSED:
            steps.append(LoggedStep(record.metadata["kind"], record.value, "reused"))
    return steps
