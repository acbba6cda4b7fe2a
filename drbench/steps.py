"""Cached steps: generate, train, predict, evaluate — each keyed by the hash of its inputs.

A step's folder is ``runs/<kind>/<hash of (kind, params, upstream keys, code)>``,
where *code* digests the drbench source the step runs (:data:`STEP_CODE`) and the
params hold data fingerprints, never absolute paths: the same run from another
folder or machine finds the same keys, and editing a randomizer or the evaluator
re-runs exactly the steps that use it. A ``done`` marker holds the result.
Protocol arms that share a step (the same DR data, the same pretrained model)
share its folder, a re-run does only what changed, and a killed run resumes
after its last finished step.
Each step logs to the event log: ``step_start``/``step_stop`` when it is
computed, ``step_reused`` when its cached result is used.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rich.console import Console

from drbench.events import Event, EventLog
from drbench.io import write_json_atomic

DONE = "done"  # the marker file in a step's folder, holding its result
PACKAGE_DIR = Path(__file__).resolve().parent
STEP_CODE = {  # the drbench packages each kind of step runs (detector configs are inside detectors)
    "generate": ("generate", "data"),
    "convert": ("data",),
    "train": ("detectors", "data"),
    "predict": ("detectors", "data"),
    "evaluate": ("evaluate", "data"),
}


@cache
def code_digest(packages: tuple[str, ...], root: Path = PACKAGE_DIR) -> str:
    """Hash of the Python source under ``root/<package>`` (relative paths and bytes).

    Cached for the life of the process: a command runs one version of the code."""
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted((Path(root) / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def args_hash(args: dict[str, Any]) -> str:
    """Stable short hash of JSON-serialisable arguments."""
    blob = json.dumps(args, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


@dataclass
class StepRunner:
    runs_dir: Path
    log: EventLog
    console: Console
    dry_run: bool = False
    verbose: bool = False  # the stack's own console output (mmengine) shown live, not only in logs
    planned: list[dict] = field(default_factory=list)

    def key(self, kind: str, params: dict, upstream: tuple[str, ...] = ()) -> str:
        return args_hash({"kind": kind, "params": params, "upstream": list(upstream),
                          "code": code_digest(STEP_CODE[kind])})

    def run(self, kind: str, params: dict, work: Callable[[Path], dict],
            upstream: tuple[str, ...] = ()) -> dict:
        """The step's result: cached if done, planned if dry-run, else computed now."""
        key = self.key(kind, params, upstream)
        folder = Path(self.runs_dir) / kind / key
        marker = folder / DONE
        if marker.is_file():
            result = json.loads(marker.read_text())
            self.planned.append({"kind": kind, "key": key, "status": "cached", "params": params})
            self.console.print(f"[green]✓[/] {kind} {key}: cached")
            if not self.dry_run:
                self.log.event(Event.STEP_REUSED, key, kind=kind)
            return result
        if self.dry_run:
            self.planned.append({"kind": kind, "key": key, "status": "to run", "params": params})
            return {"key": key, "dir": str(folder), "planned": True}
        self.console.print(f"[bold cyan]→ {kind}[/] {key}  ({folder})")
        self.log.event(Event.STEP_START, key, kind=kind, params=params, upstream=list(upstream))
        start = time.perf_counter()
        result = work(folder)
        result.update(key=key, dir=result.get("dir", str(folder)),
                      seconds=round(time.perf_counter() - start, 2))
        self.log.event(Event.STEP_STOP, result, kind=kind)
        write_json_atomic(marker, result)
        return result
