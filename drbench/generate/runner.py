"""Generate a DR data set in KITTI layout, driving a render worker child process.

The parent never imports Blender: a worker that aborts or hangs is killed and
restarted, its image retried once, and a second failure is recorded in the
manifest while the run goes on. Outputs are renamed into place only when
complete (label file last), so an interrupted run is continued with
``resume=True`` without duplicates or torn files.
"""

from __future__ import annotations

import collections
import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import drbench
from drbench.generate.labels import DEFINITIONS
from drbench.generate.seeds import image_seed
from drbench.generate.settings import Settings
from drbench.io import write_json_atomic

MANIFEST = "manifest.json"
SCRATCH = ".scratch"  # the worker's render EXRs, deleted as soon as read
STAGES = ("build", "render", "label", "write")
MAX_CONSECUTIVE_FAILURES = 3  # images in a row; beyond this the worker cannot work at all


class WorkerError(RuntimeError):
    """The worker died, hung, or answered with an error."""


class Worker:
    """One render child: JSON jobs in on stdin, JSON answers out on stdout, stderr tail kept."""

    def __init__(self) -> None:
        package_root = str(Path(drbench.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "drbench.generate.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=15)
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        self._buffer = b""

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _readline(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        out = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerError(f"no answer within {timeout:.0f} s")
            if select.select([out], [], [], remaining)[0]:
                chunk = os.read(out, 65536)
                if not chunk:
                    self.process.wait()
                    raise WorkerError(f"worker died (exit status {self.process.returncode})")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def request(self, job: dict, timeout: float) -> dict:
        """Send one job and wait for its answer; raises WorkerError on death, hang or error."""
        try:
            self.process.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except BrokenPipeError:
            self.process.wait()
            raise WorkerError(f"worker died (exit status {self.process.returncode})") from None
        answer = json.loads(self._readline(timeout))
        if not answer.get("ok"):
            raise WorkerError(answer.get("error", "unknown error"))
        return answer

    def stop(self) -> None:
        """End the child: EOF on stdin lets it exit; kill it if it does not."""
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._drain.join(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if not pipe.closed:
                pipe.close()

    def tail(self) -> str:
        return "\n".join(self.stderr_tail)


def _paths(out_dir: Path, index: int, masks: bool) -> dict:
    name = f"{index:06d}"
    return {
        "image": str(out_dir / "image_2" / f"{name}.png"),
        "label": str(out_dir / "label_2" / f"{name}.txt"),
        "mask": str(out_dir / "mask_2" / f"{name}.png") if masks else None,
    }


def _complete(paths: dict) -> bool:
    return all(os.path.exists(p) for p in paths.values() if p)


def _remove_partial(out_dir: Path) -> None:
    """Temp files of an interrupted atomic write (see drbench.io)."""
    for folder in ("image_2", "label_2", "mask_2"):
        for stray in (out_dir / folder).glob(".*.tmp"):
            stray.unlink()


def _manifest(seed: int, n: int, settings: Settings, failed: dict, complete: bool) -> dict:
    return {
        "generator": "drbench.generate",
        "version": drbench.__version__,
        "bpy": metadata.version("bpy"),
        "seed": seed,
        "count": n,
        "settings": settings.to_dict(),
        "label_definitions": DEFINITIONS,
        "image_seeds": [image_seed(seed, i) for i in range(n)],
        "failed": {str(i): error for i, error in sorted(failed.items())},
        "complete": complete,
    }


def _check_resumable(out_dir: Path, seed: int, settings: Settings, resume: bool) -> None:
    manifest_path = out_dir / MANIFEST
    if not resume:
        if manifest_path.exists() or any((out_dir / "label_2").glob("*.txt")):
            raise FileExistsError(f"{out_dir} already holds a data set; pass resume=True or use a new folder")
        return
    if manifest_path.exists():
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
        if previous["seed"] != seed or previous["settings"] != settings.to_dict():
            raise ValueError(f"cannot resume {out_dir}: it was generated with seed {previous['seed']} and "
                             f"settings {previous['settings']}, not seed {seed} and {settings.to_dict()}")


def _render(worker: Worker | None, job: dict, timeout: float) -> tuple[Worker | None, dict | None, str]:
    """One image: on any failure kill the worker, start a fresh one and retry once.

    Returns (the live worker or None, the answer or None, the last error message).
    """
    message = ""
    for attempt in (0, 1):
        worker = worker or Worker()
        try:
            return worker, worker.request({**job, "attempt": attempt}, timeout), message
        except WorkerError as error:
            worker.process.kill()
            worker.stop()
            message = f"{error}\n{worker.tail()}".strip()
            worker = None
    return None, None, message


def generate(
    out_dir: str | os.PathLike,
    n: int,
    seed: int,
    width: int = 1242,
    height: int = 375,
    samples: int = 1,
    resume: bool = False,
    progress: bool = True,
    settings: Settings | None = None,
    timeout: float = 600.0,
) -> dict:
    """Render ``n`` images into ``out_dir`` (image_2/, label_2/, optional mask_2/, manifest.json).

    Pass either width/height/samples or a full ``settings``. ``resume`` skips indices
    whose files are complete; a larger ``n`` extends an earlier run (image seeds do
    not depend on ``n``). Returns counts, failures and mean per-stage seconds.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if settings is None:
        settings = Settings(width=width, height=height, samples=samples)
    elif (width, height, samples) != (1242, 375, 1):
        raise ValueError("pass width, height and samples inside settings, not beside it")
    out_dir = Path(out_dir)
    _check_resumable(out_dir, seed, settings, resume)
    for folder in ("image_2", "label_2") + (("mask_2",) if settings.masks else ()):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    _remove_partial(out_dir)

    todo = [i for i in range(n) if not (resume and _complete(_paths(out_dir, i, settings.masks)))]
    failed: dict[int, str] = {}
    write_json_atomic(out_dir / MANIFEST, _manifest(seed, n, settings, failed, complete=False))
    totals = dict.fromkeys(STAGES, 0.0)
    labels = generated = consecutive_failures = 0
    started = time.perf_counter()
    scratch = out_dir / SCRATCH  # in the output folder, so a killed run's leftovers go with the next run
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    worker = None
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    try:
        with Progress(*columns, disable=not progress, transient=False) as bar:
            task = bar.add_task("rendering", total=len(todo), rate="")
            for index in todo:
                job = {"index": index, "seed": image_seed(seed, index), "settings": settings.to_dict(),
                       "scratch": str(scratch), **_paths(out_dir, index, settings.masks)}
                worker, answer, message = _render(worker, job, timeout)
                if answer is None:
                    failed[index] = message
                    consecutive_failures += 1
                    if consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
                        raise WorkerError(f"{consecutive_failures} images in a row failed; last error:\n{message}")
                    bar.advance(task)
                    continue
                consecutive_failures = 0
                generated += 1
                labels += answer["labels"]
                for stage in STAGES:
                    totals[stage] += answer["timings"][stage]
                elapsed = time.perf_counter() - started
                bar.update(task, advance=1, rate=f"{generated / elapsed:.2f} img/s")
    finally:
        if worker is not None:
            worker.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        write_json_atomic(out_dir / MANIFEST, _manifest(seed, n, settings, failed,
                                                         complete=all(_complete(_paths(out_dir, i, settings.masks))
                                                                      for i in range(n))))
    seconds = time.perf_counter() - started
    return {
        "out_dir": str(out_dir),
        "count": n,
        "generated": generated,
        "skipped": n - len(todo),
        "failed": failed,
        "labels": labels,
        "seconds": seconds,
        "seconds_per_image": seconds / generated if generated else None,
        "stage_seconds": {stage: totals[stage] / generated if generated else None for stage in STAGES},
    }
