"""Cached steps: generate, train, predict, evaluate — each keyed by the hash of its inputs.

A step's folder is ``runs/<kind>/<hash of (kind, params, upstream keys, drbench
version)>``; a ``done`` marker holds its result. Protocol arms that share a
step (the same DR data, the same pretrained model) share its folder, a re-run
does only what changed, and a killed run resumes after its last finished step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from drbench import __version__
from drbench.events import EventLog
from drbench.runs import Stage, args_hash


@dataclass
class StepRunner:
    runs_dir: Path
    log: EventLog
    console: Console
    dry_run: bool = False
    planned: list[dict] = field(default_factory=list)

    def key(self, kind: str, params: dict, upstream: tuple[str, ...] = ()) -> str:
        return args_hash({"kind": kind, "params": params, "upstream": list(upstream),
                          "drbench": __version__})

    def run(self, kind: str, params: dict, work: Callable[[Path], dict],
            upstream: tuple[str, ...] = ()) -> dict:
        """The step's result: cached if done, planned if dry-run, else computed now."""
        key = self.key(kind, params, upstream)
        stage = Stage(Path(self.runs_dir) / kind, key)
        if stage.is_done:
            result = stage.result()
            self.planned.append({"kind": kind, "key": key, "status": "cached", "params": params})
            self.console.print(f"[green]✓[/] {kind} {key}: cached")
            return result
        if self.dry_run:
            self.planned.append({"kind": kind, "key": key, "status": "to run", "params": params})
            return {"key": key, "dir": str(stage.dir), "planned": True}
        self.console.print(f"[bold cyan]→ {kind}[/] {key}  ({stage.dir})")
        self.log.event(f"{kind}_start", key, params=params, upstream=list(upstream))
        start = time.perf_counter()
        result = work(stage.dir)
        result.update(key=key, dir=result.get("dir", str(stage.dir)),
                      seconds=round(time.perf_counter() - start, 2))
        self.log.event(f"{kind}_stop", result)
        return stage.finish(result)
