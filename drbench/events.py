"""MLPerf-style structured event log: one JSON object per line, appended as work happens.

A run's log says what ran, with which settings, how long each stage took and
how it ended, so a result can be checked (and a crash diagnosed) after the fact.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


class EventLog:
    """Append-only JSON-lines log; each line is flushed and fsynced."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def event(self, key: str, value: Any = None, **metadata: Any) -> dict:
        record = {"time_ms": int(time.time() * 1000), "key": key, "value": value}
        if metadata:
            record["metadata"] = metadata
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return record

    def read(self) -> list[dict]:
        if not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
