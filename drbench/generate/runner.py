"""Generate a DR data set in KITTI layout, driving render worker child processes.

The parent never imports Blender: a worker that aborts or hangs is killed and
restarted, its image retried once, and a second failure is recorded in the
manifest while the run goes on (up to ``max_failures`` images; a randomizer's
own error is not retried: it would fail again). Outputs are renamed into place
only when complete (label file last), so an interrupted run is continued with
``resume=True`` without duplicates or torn files, and the data set so far is
valid whenever the run stops.

``shard=(i, N)`` renders only indices ``i, i+N, i+2N, ...`` (files are named by
global index and each shard keeps its own manifest, so N shards may share one
folder); ``workers=K`` runs K long-lived workers side by side.
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import drbench
from drbench.generate import engine as engines
from drbench.generate.api import ConfigError
from drbench.generate.car_library import summary as model_summary
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

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class GenerationError(RuntimeError):
    """The run stopped (too many failed images); the images written so far form a valid data set."""


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
        """Send one job and wait for its answer; raises WorkerError on death, hang or error.

        ``timeout`` bounds the whole job; the message of a hang or death names the stage
        the worker last reported (e.g. the randomizer it was running).
        """
        try:
            self.process.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except BrokenPipeError:
            self.process.wait()
            raise WorkerError(f"worker died (exit status {self.process.returncode})") from None
        deadline = time.monotonic() + timeout
        stage = None
        while True:
            try:
                answer = json.loads(self._readline(max(deadline - time.monotonic(), 0.0)))
            except WorkerError as error:
                where = f" (image {job['index']}, in {stage})" if stage and "index" in job else ""
                raise WorkerError(f"{error}{where}") from None
            if "progress" in answer:
                stage = answer["progress"]
                continue
            break
        if not answer.get("ok"):
            if answer.get("config_error"):
                raise ConfigError(answer["error"])
            raise WorkerError(answer.get("error", "unknown error"), retry=answer.get("retry", True))
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
        "side": str(out_dir / "label_json" / f"{name}.json"),
        "mask": str(out_dir / "mask_2" / f"{name}.png") if masks else None,
    }


def _complete(paths: dict) -> bool:
    return all(os.path.exists(p) for p in paths.values() if p)


def _remove_partial(out_dir: Path) -> None:
    """Temp files of an interrupted atomic write (see drbench.io)."""
    for folder in ("image_2", "label_2", "mask_2", "label_json"):
        for stray in (out_dir / folder).glob(".*.tmp"):
            stray.unlink()


def manifest_name(shard: tuple[int, int] | None) -> str:
    return MANIFEST if shard is None else f"manifest.shard-{shard[0]}-of-{shard[1]}.json"


def shard_indices(n: int, shard: tuple[int, int] | None) -> list[int]:
    """The indices a shard renders: ``i, i+N, i+2N, ...`` below ``n`` (all of them without a shard)."""
    if shard is None:
        return list(range(n))
    i, count = shard
    if not (count >= 1 and 0 <= i < count):
        raise ValueError(f"shard must be i/N with 0 <= i < N, got {i}/{count}")
    return list(range(i, n, count))


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/N"`` → (i, N)."""
    try:
        i, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/N (e.g. 0/4), got {text!r}") from None
    shard_indices(0, (i, count))
    return i, count


def _manifest(run: "_Run", complete: bool) -> dict:
    manifest = {
        "generator": "drbench.generate",
        "version": drbench.__version__,
        "bpy": metadata.version("bpy"),
        "seed": run.seed,
        "count": run.n,
        "dataset": run.settings.digest(run.seed),
        "settings": run.settings.to_dict(),
        "engine": run.engine,
        "label_definitions": DEFINITIONS,
        "image_seeds": [image_seed(run.seed, i) for i in range(run.n)],
        "failed": {str(i): error for i, error in sorted(run.failed.items())},
        "complete": complete,
    }
    if run.shard is not None:
        manifest["shard"] = {"index": run.shard[0], "count": run.shard[1], "indices": len(run.indices)}
    if run.config is not None:
        manifest["config"] = run.config
    if run.randomizers is not None:
        manifest["randomizers"] = run.randomizers
    if run.car_models:
        manifest["car_models"] = run.car_models
    return manifest


def _check_resumable(out_dir: Path, seed: int, settings: Settings, resume: bool,
                     shard: tuple[int, int] | None, indices: list[int]) -> None:
    manifest_path = out_dir / manifest_name(shard)
    if not resume:
        if shard is None:
            taken = manifest_path.exists() or any((out_dir / "label_2").glob("*.txt"))
        else:
            taken = manifest_path.exists() or any((out_dir / "label_2" / f"{i:06d}.txt").exists() for i in indices)
        if taken:
            raise FileExistsError(f"{out_dir} already holds a data set; pass resume=True or use a new folder")
        return
    if manifest_path.exists():
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
        try:
            same = Settings.from_dict(previous["settings"]).to_dict() == settings.to_dict()
        except (TypeError, ValueError):
            same = False
        if previous["seed"] != seed or not same:
            raise ValueError(f"cannot resume {out_dir}: it was generated with seed {previous['seed']} and "
                             f"settings {previous['settings']}, not seed {seed} and {settings.to_dict()}")


@dataclass
class _Run:
    """The state of one generate() call, shared by its worker threads."""

    out_dir: Path
    n: int
    seed: int
    settings: Settings
    shard: tuple[int, int] | None
    indices: list[int]
    engine: dict
    timeout: float
    max_failures: int | None
    config: dict | None = None
    randomizers: list | None = None
    car_models: dict | None = None
    failed: dict = field(default_factory=dict)
    answered: dict = field(default_factory=dict)  # index -> labels, for images the worker rendered
    write_errors: dict = field(default_factory=dict)  # index -> why writing its files failed
    totals: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    labels: int = 0
    generated: int = 0
    consecutive_failures: int = 0
    stop: str | None = None  # why the run stops early
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record_write(self, answer: dict) -> None:
        """The worker writes an image's files while building the next: its next answer says how it went."""
        previous = answer.get("previous_write")
        if previous is not None:
            if "error" in previous:
                self.write_errors[previous["index"]] = previous["error"]
            else:
                self.totals["write"] += previous["seconds"]
                if previous["index"] in self.answered:
                    self.answered[previous["index"]] = previous["labels"]
                    self.labels += previous["labels"]

    def unwritten(self) -> list[int]:
        """Rendered images whose files are not all there (a write failed, or the worker died writing)."""
        lost = [i for i in sorted(self.answered) if not _complete(_paths(self.out_dir, i, self.settings.masks))]
        for index in lost:
            self.generated -= 1
            self.labels -= self.answered.pop(index)
        return lost

    def job(self, index: int, scratch: Path, threads: int) -> dict:
        job = {"index": index, "seed": image_seed(self.seed, index), "run_seed": self.seed,
               "settings": self.settings.to_dict(), "engine": self.engine["used"], "scratch": str(scratch),
               **_paths(self.out_dir, index, self.settings.masks)}
        if threads:
            job["threads"] = threads
        return job

    def record(self, index: int, answer: dict | None, message: str) -> None:
        with self.lock:
            if answer is not None:
                self.consecutive_failures = 0
                self.generated += 1
                self.answered[index] = answer.get("labels", 0)  # known later when written in the worker's thread
                self.labels += self.answered[index]
                for stage in STAGES:
                    self.totals[stage] += answer["timings"][stage]
                self.record_write(answer)
                return
            self.failed[index] = message
            self.consecutive_failures += 1
            first = min(self.failed)
            if self.max_failures is not None and len(self.failed) > self.max_failures:
                self.stop = (f"{len(self.failed)} images failed, more than max_failures = {self.max_failures}; "
                             f"first: image {first}: {self.failed[first]}")
            elif self.max_failures is None and self.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
                self.stop = f"{self.consecutive_failures} images in a row failed; last error:\n{message}"


def _render(worker: Worker | None, job: dict, timeout: float) -> tuple[Worker | None, dict | None, str]:
    """One image: on a crash or hang kill the worker, start a fresh one and retry once
    (a randomizer's own error is not retried). Returns (live worker or None, answer or None, last error)."""
    message = ""
    for attempt in (0, 1):
        worker = worker or Worker()
        try:
            return worker, worker.request({**job, "attempt": attempt}, timeout), message
        except WorkerError as error:
            message = f"{error}\n{worker.tail()}".strip() if error.retry else str(error)
            if not error.retry:
                return worker, None, message
            worker.process.kill()
            worker.stop()
            worker = None
    return None, None, message


def _work(run: _Run, queue: collections.deque, scratch: Path, threads: int, advance,
          worker: Worker | None = None, keep: bool = False) -> Worker | None:
    """One worker's loop: take indices until none is left or the run stops.

    The worker is stopped at the end, unless ``keep``: then it is returned for more work
    (a Ray actor's long-lived worker, see ray_shards.py).
    """
    try:
        while run.stop is None and queue:
            try:
                index = queue.popleft()
            except IndexError:  # another thread took the last one
                break
            worker, answer, message = _render(worker, run.job(index, scratch, threads), run.timeout)
            run.record(index, answer, message)
            advance()
        if worker is not None:  # wait for the last image's files and hear how writing them went
            try:
                answer = worker.request({"op": "flush"}, run.timeout)
                with run.lock:
                    run.record_write(answer)
            except WorkerError:
                pass  # its last image is checked on disk (see _Run.unwritten)
    except BaseException:
        if worker is not None:
            worker.stop()
        raise
    if worker is not None and not keep:
        worker.stop()
        worker = None
    return worker


def _retry_unwritten(run: _Run, scratch: Path, threads: int, advance, worker: Worker | None = None,
                     keep: bool = False) -> Worker | None:
    """Once every write has finished: one more try for images whose files were lost, then record
    those still missing as failed. Returns the worker when ``keep`` (see _work)."""
    lost = run.unwritten() if run.stop is None else []
    if lost:
        worker = _work(run, collections.deque(lost), scratch, threads, advance, worker, keep)
    for index in run.unwritten():
        run.failed[index] = run.write_errors.get(index, "its files were not all written "
                                                        "(the worker ended while writing them)")
    return worker


def _validate(settings: Settings) -> tuple[Worker, list]:
    """Resolve and validate the randomizers in a worker (they import Blender); ConfigError if bad.

    Returns the worker (it goes on rendering) and the resolved randomizers with their parameters.
    """
    worker = Worker()
    try:
        return worker, worker.request({"op": "validate", "settings": settings.to_dict()}, timeout=300)["randomizers"]
    except WorkerError as error:
        worker.stop()
        raise ConfigError(f"cannot check the randomizers: {error}\n{worker.tail()}") from None
    except BaseException:
        worker.stop()
        raise


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
    shard: tuple[int, int] | str | None = None,
    workers: int = 1,
    max_failures: int | None = None,
    config: dict | None = None,
) -> dict:
    """Render ``n`` images into ``out_dir`` (image_2/, label_2/, label_json/, optional mask_2/, manifest).

    Pass either width/height/samples or a full ``settings``. ``resume`` skips indices
    whose files are complete; a larger ``n`` extends an earlier run (image seeds do
    not depend on ``n``). ``shard`` ("i/N" or (i, N)) renders only that slice.
    ``max_failures``: None skips failed images (recorded in the manifest) and stops
    after 3 failures in a row; a number K skips up to K and stops at the next, raising
    GenerationError (0 = stop at the first). ``config`` (path and hash of a config
    file) is recorded in the manifest. Returns counts, failures and mean per-stage seconds.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if max_failures is not None and max_failures < 0:
        raise ValueError(f"max_failures must be >= 0 (or None), got {max_failures}")
    if settings is None:
        settings = Settings(width=width, height=height, samples=samples)
    elif (width, height, samples) != (1242, 375, 1):
        raise ValueError("pass width, height and samples inside settings, not beside it")
    if isinstance(shard, str):
        shard = parse_shard(shard)
    indices = shard_indices(n, shard)
    out_dir = Path(out_dir)
    _check_resumable(out_dir, seed, settings, resume, shard, indices)
    used, probe = engines.choose(settings.engine)
    run = _Run(out_dir=out_dir, n=n, seed=seed, settings=settings, shard=shard, indices=indices,
               engine={"requested": settings.engine, "used": used, **({"probe": probe} if probe else {})},
               timeout=timeout, max_failures=max_failures, config=config,
               car_models=model_summary(settings.car_models_dir) if settings.car_models_dir else None)
    todo = [i for i in indices if not (resume and _complete(_paths(out_dir, i, settings.masks)))]
    first_worker = None
    if todo:
        first_worker, run.randomizers = _validate(settings)
    for folder in ("image_2", "label_2", "label_json") + (("mask_2",) if settings.masks else ()):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    _remove_partial(out_dir)
    manifest_path = out_dir / manifest_name(shard)
    write_json_atomic(manifest_path, _manifest(run, complete=False))

    started = time.perf_counter()
    # in the output folder, so a killed run's leftovers go with the next run; one per shard
    scratch = out_dir / (SCRATCH if shard is None else f"{SCRATCH}-{shard[0]}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    threads = 0 if workers == 1 or settings.threads else max(1, (os.cpu_count() or 1) // workers)
    queue = collections.deque(todo)
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    try:
        with Progress(*columns, disable=not progress, transient=False) as bar:
            task = bar.add_task("rendering", total=len(todo), rate="")

            def advance() -> None:
                elapsed = time.perf_counter() - started
                bar.update(task, advance=1, rate=f"{run.generated / elapsed:.2f} img/s" if run.generated else "")

            if workers == 1:
                _work(run, queue, scratch, threads, advance, first_worker)
            else:
                pool = [threading.Thread(target=_work, args=(run, queue, scratch, threads, advance,
                                                             first_worker if k == 0 else None), daemon=True)
                        for k in range(min(workers, max(len(todo), 1)))]
                for thread in pool:
                    thread.start()
                for thread in pool:
                    thread.join()
            _retry_unwritten(run, scratch, threads, advance)  # every worker has ended: every write finished
        if run.stop is not None:
            raise GenerationError(f"generation stopped: {run.stop}\n(the {run.generated} images written so far "
                                  f"form a valid data set; see {manifest_path})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        write_manifest(run, manifest_path)
    return report(run, todo, started, used)


def write_manifest(run: "_Run", path: Path) -> None:
    """The run's manifest, ``complete`` when every index of the run has all its files."""
    masks = run.settings.masks
    write_json_atomic(path, _manifest(run, complete=all(_complete(_paths(run.out_dir, i, masks))
                                                        for i in run.indices)))


def report(run: "_Run", todo: list[int], started: float, engine: str | None) -> dict:
    """What ``generate`` returns: counts, failures and timings per image and per stage."""
    seconds = time.perf_counter() - started
    generated = run.generated
    return {
        "out_dir": str(run.out_dir),
        "count": run.n,
        "dataset": run.settings.digest(run.seed),
        "engine": engine,
        "shard": list(run.shard) if run.shard else None,
        "generated": generated,
        "skipped": len(run.indices) - len(todo),
        "failed": dict(run.failed),
        "labels": run.labels,
        "seconds": seconds,
        "seconds_per_image": seconds / generated if generated else None,
        "stage_seconds": {stage: run.totals[stage] / generated if generated else None for stage in STAGES},
    }
