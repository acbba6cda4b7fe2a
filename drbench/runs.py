"""Run folders named by the hash of their arguments, with ``done`` markers per stage.

Re-running the same arguments finds the same folder and skips every stage
whose marker exists, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from drbench.io import write_json_atomic


def args_hash(args: dict[str, Any]) -> str:
    """Stable short hash of JSON-serialisable arguments."""
    blob = json.dumps(args, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


class Stage:
    """A stage folder; ``done`` holds the stage's result once it finished."""

    def __init__(self, run_dir: Path, name: str):
        self.dir = Path(run_dir) / name
        self.marker = self.dir / "done"

    @property
    def is_done(self) -> bool:
        return self.marker.is_file()

    def result(self) -> dict:
        return json.loads(self.marker.read_text())

    def finish(self, result: dict) -> dict:
        write_json_atomic(self.marker, result)
        return result
