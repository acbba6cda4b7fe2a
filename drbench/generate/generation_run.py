"""One generation run into one folder: what it renders and in which order, what is done, the manifest,
failure accounting, the event log and the report.

Both drivers are thin layers over it: ``local_run.generate`` (render workers on this
machine) and ``ray_shards.generate_on_ray`` (render actors on a cluster, each of which
renders its chunk as a run in node-local scratch). Outputs are renamed into place
only when complete (label file last), so an image is done when all its files exist,
an interrupted run is continued with ``resume`` without duplicates or torn files,
and the data set so far is valid whenever the run stops.

``shard=(i, N)`` renders only indices ``i, i+N, i+2N, ...`` (files are named by
global index and each shard keeps its own manifest, so N shards may share one folder).
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import drbench
from drbench.events import Event, EventLog
from drbench.generate.car_library import summary as model_summary
from drbench.generate.labels import DEFINITIONS
from drbench.generate.seeds import image_seed
from drbench.generate.settings import Settings
from drbench.generate.worker_client import Worker, WorkerError, render_with_retry
from drbench.io import write_json_atomic

MANIFEST = "manifest.json"
SCRATCH = ".scratch"  # the worker's render EXRs, deleted as soon as read
STAGES = ("build", "render", "label", "write")
MAX_CONSECUTIVE_FAILURES = 3  # images in a row; beyond this the worker cannot work at all


class GenerationError(RuntimeError):
    """The run stopped (too many failed images); the images written so far form a valid data set."""


def image_paths(out_dir: Path, index: int, masks: bool) -> dict:
    """An image's files by kind: image, label, side (label_json) and mask (None without masks)."""
    name = f"{index:06d}"
    return {
        "image": str(out_dir / "image_2" / f"{name}.png"),
        "label": str(out_dir / "label_2" / f"{name}.txt"),
        "side": str(out_dir / "label_json" / f"{name}.json"),
        "mask": str(out_dir / "mask_2" / f"{name}.png") if masks else None,
    }


def image_complete(out_dir: Path, index: int, masks: bool) -> bool:
    """Whether all of an image's files are there (each is renamed into place only when whole)."""
    return all(os.path.exists(p) for p in image_paths(out_dir, index, masks).values() if p)


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


def progress_bar(enabled: bool) -> Progress:
    """The rendering progress bar both drivers show (a task's ``rate`` field: see GenerationRun.rate)."""
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), disable=not enabled, transient=False)


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


def _remove_partial(out_dir: Path) -> None:
    """Temp files of an interrupted atomic write (see drbench.io)."""
    for folder in ("image_2", "label_2", "mask_2", "label_json"):
        for stray in (out_dir / folder).glob(".*.tmp"):
            stray.unlink()


@dataclass
class GenerationRun:
    """The state of one run: its images' outcomes, shared by the threads that render them.

    Build it with ``for_folder`` to write a data set; a Ray actor builds one directly
    for the chunk it renders in its scratch folder (no manifest, no events).
    """

    out_dir: Path
    n: int
    seed: int
    settings: Settings
    indices: list[int]  # the run's images (a shard's or a chunk's)
    todo: list[int] | None = None  # those left to render, in order (default: all of indices)
    shard: tuple[int, int] | None = None
    timeout: float = 600.0
    max_failures: int | None = None
    config: dict | None = None
    events: EventLog | None = None
    engine: dict = field(default_factory=dict)
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
    opened: bool = False  # the folder is prepared and its first manifest written (see open)
    started: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: collections.deque = field(init=False)  # todo, taken from the front by the render threads

    def __post_init__(self) -> None:
        if self.todo is None:
            self.todo = list(self.indices)
        self.queue = collections.deque(self.todo)

    @classmethod
    def for_folder(cls, out_dir: str | os.PathLike, n: int, seed: int, settings: Settings, *,
                   resume: bool = False, shard: tuple[int, int] | str | None = None, timeout: float = 600.0,
                   max_failures: int | None = None, config: dict | None = None,
                   events: EventLog | None = None) -> GenerationRun:
        """A run writing ``n`` images (or a shard's, "i/N" or (i, N)) into ``out_dir``.

        Checks the arguments and that the folder is new, or with ``resume`` that it holds the
        same seed and settings; then everything not yet complete is left to render.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if max_failures is not None and max_failures < 0:
            raise ValueError(f"max_failures must be >= 0 (or None), got {max_failures}")
        if isinstance(shard, str):
            shard = parse_shard(shard)
        indices = shard_indices(n, shard)
        out_dir = Path(out_dir)
        _check_resumable(out_dir, seed, settings, resume, shard, indices)
        todo = [i for i in indices if not (resume and image_complete(out_dir, i, settings.masks))]
        return cls(out_dir=out_dir, n=n, seed=seed, settings=settings, indices=indices, todo=todo, shard=shard,
                   timeout=timeout, max_failures=max_failures, config=config, events=events,
                   car_models=model_summary(settings.car_models_dir) if settings.car_models_dir else None)

    @property
    def manifest_path(self) -> Path:
        return self.out_dir / manifest_name(self.shard)

    @property
    def scratch(self) -> Path:
        """The worker's render scratch: in the output folder, so a killed run's leftovers go with
        the next run; one per shard."""
        return self.out_dir / (SCRATCH if self.shard is None else f"{SCRATCH}-{self.shard[0]}")

    def make_output_folders(self) -> None:
        for folder in ("image_2", "label_2", "label_json") + (("mask_2",) if self.settings.masks else ()):
            (self.out_dir / folder).mkdir(parents=True, exist_ok=True)

    def make_scratch(self) -> Path:
        """An empty scratch folder (see ``scratch``)."""
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir()
        return self.scratch

    def start_clock(self) -> None:
        """From here on the run's seconds count (a driver may start it before ``open``)."""
        if self.started is None:
            self.started = time.perf_counter()

    def open(self, engine: str, probe: dict | None, randomizers: list | None) -> None:
        """Prepare the folder to render into with ``engine`` (and why it was chosen, ``probe``):
        output folders, torn temp files gone, a first manifest (not complete); log the start."""
        self.engine = {"requested": self.settings.engine, "used": engine, **({"probe": probe} if probe else {})}
        self.randomizers = randomizers
        self.make_output_folders()
        _remove_partial(self.out_dir)
        write_json_atomic(self.manifest_path, self.manifest(complete=False))
        self.opened = True
        if self.events is not None:
            self.events.event(Event.GENERATION_START, self.settings.digest(self.seed), out_dir=str(self.out_dir),
                              n=self.n, seed=self.seed, shard=list(self.shard) if self.shard else None,
                              indices=self.todo)
        self.start_clock()

    def manifest(self, complete: bool) -> dict:
        manifest = {
            "generator": "drbench.generate",
            "version": drbench.__version__,
            "bpy": metadata.version("bpy"),
            "seed": self.seed,
            "count": self.n,
            "dataset": self.settings.digest(self.seed),
            "settings": self.settings.to_dict(),
            "engine": self.engine,
            "label_definitions": DEFINITIONS,
            "image_seeds": [image_seed(self.seed, i) for i in range(self.n)],
            "failed": {str(i): error for i, error in sorted(self.failed.items())},
            "complete": complete,
        }
        if self.shard is not None:
            manifest["shard"] = {"index": self.shard[0], "count": self.shard[1], "indices": len(self.indices)}
        if self.config is not None:
            manifest["config"] = self.config
        if self.randomizers is not None:
            manifest["randomizers"] = self.randomizers
        if self.car_models:
            manifest["car_models"] = self.car_models
        return manifest

    def job(self, index: int, scratch: Path, threads: int) -> dict:
        """The worker's job for one image (see worker.py)."""
        job = {"index": index, "seed": image_seed(self.seed, index), "run_seed": self.seed,
               "settings": self.settings.to_dict(), "engine": self.engine["used"], "scratch": str(scratch),
               **image_paths(self.out_dir, index, self.settings.masks)}
        if threads:
            job["threads"] = threads
        return job

    def _fail(self, index: int, message: str) -> None:
        self.failed[index] = message
        if self.events is not None:
            self.events.event(Event.IMAGE_FAILED, index, seed=image_seed(self.seed, index), error=message)

    def _record_write(self, answer: dict) -> None:
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

    def _unwritten(self) -> list[int]:
        """Rendered images whose files are not all there (a write failed, or the worker died writing)."""
        lost = [i for i in sorted(self.answered) if not image_complete(self.out_dir, i, self.settings.masks)]
        for index in lost:
            self.generated -= 1
            self.labels -= self.answered.pop(index)
        return lost

    def record(self, index: int, answer: dict | None, message: str) -> None:
        """One image's outcome: the worker's answer, or None and the error; decides whether the run stops."""
        with self.lock:
            if answer is not None:
                self.consecutive_failures = 0
                self.generated += 1
                self.answered[index] = answer.get("labels", 0)  # known later when written in the worker's thread
                self.labels += self.answered[index]
                for stage in STAGES:
                    self.totals[stage] += answer["timings"][stage]
                self._record_write(answer)
                return
            self._fail(index, message)
            self.consecutive_failures += 1
            first = min(self.failed)
            if self.max_failures is not None and len(self.failed) > self.max_failures:
                self.stop = (f"{len(self.failed)} images failed, more than max_failures = {self.max_failures}; "
                             f"first: image {first}: {self.failed[first]}")
            elif self.max_failures is None and self.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
                self.stop = f"{self.consecutive_failures} images in a row failed; last error:\n{message}"

    def render(self, scratch: Path, threads: int, advance: Callable[[], None], worker: Worker | None = None,
               keep: bool = False) -> Worker | None:
        """One worker's loop over the run's queue: take indices until none is left or the run stops.

        Several threads may each run one. The worker is stopped at the end, unless ``keep``:
        then it is returned for more work (a Ray actor's long-lived worker).
        """
        return self._render_from(self.queue, scratch, threads, advance, worker, keep)

    def _render_from(self, queue: collections.deque, scratch: Path, threads: int, advance: Callable[[], None],
                     worker: Worker | None, keep: bool) -> Worker | None:
        try:
            while self.stop is None and queue:
                try:
                    index = queue.popleft()
                except IndexError:  # another thread took the last one
                    break
                worker, answer, message = render_with_retry(worker, self.job(index, scratch, threads), self.timeout)
                self.record(index, answer, message)
                advance()
            if worker is not None:  # wait for the last image's files and hear how writing them went
                try:
                    answer = worker.request({"op": "flush"}, self.timeout)
                    with self.lock:
                        self._record_write(answer)
                except WorkerError:
                    pass  # its last image is checked on disk (see _unwritten)
        except BaseException:
            if worker is not None:
                worker.stop()
            raise
        if worker is not None and not keep:
            worker.stop()
            worker = None
        return worker

    def retry_unwritten(self, scratch: Path, threads: int, advance: Callable[[], None],
                        worker: Worker | None = None, keep: bool = False) -> Worker | None:
        """Once every write has finished: one more try for images whose files were lost, then record
        those still missing as failed. Returns the worker when ``keep`` (see render)."""
        lost = self._unwritten() if self.stop is None else []
        if lost:
            worker = self._render_from(collections.deque(lost), scratch, threads, advance, worker, keep)
        for index in self._unwritten():
            self._fail(index, self.write_errors.get(index, "its files were not all written "
                                                           "(the worker ended while writing them)"))
        return worker

    def record_chunk(self, answer: dict) -> None:
        """A Ray actor's chunk, its files already written here: counts, failures, whether the run stops."""
        self.generated += len(answer["files"])
        for index, message in answer["failed"].items():
            self._fail(index, message)
        self.labels += answer["labels"]
        for stage in STAGES:
            self.totals[stage] += answer["totals"][stage]
        if answer["stop"]:
            self.stop = answer["stop"]
        elif self.max_failures is not None and len(self.failed) > self.max_failures:
            self.stop = f"{len(self.failed)} images failed, more than max_failures = {self.max_failures}"

    def rate(self) -> str:
        """Images per second so far, for the progress bar."""
        elapsed = time.perf_counter() - self.started
        return f"{self.generated / elapsed:.2f} img/s" if self.generated else ""

    def raise_if_stopped(self) -> None:
        if self.stop is not None:
            raise GenerationError(f"generation stopped: {self.stop}\n(the {self.generated} images written so far "
                                  f"form a valid data set; see {self.manifest_path})")

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def finish(self) -> None:
        """The final manifest (``complete`` when every image of the run has all its files); log the stop."""
        masks = self.settings.masks
        write_json_atomic(self.manifest_path,
                          self.manifest(complete=all(image_complete(self.out_dir, i, masks) for i in self.indices)))
        if self.events is not None:
            self.events.event(Event.GENERATION_STOP, self.settings.digest(self.seed), rendered=self.generated,
                              failed=len(self.failed), seconds=self.seconds(), stopped=self.stop)

    def report(self) -> dict:
        """What a driver returns: counts, failures and timings per image and per stage."""
        seconds = self.seconds()
        generated = self.generated
        return {
            "out_dir": str(self.out_dir),
            "count": self.n,
            "dataset": self.settings.digest(self.seed),
            "engine": self.engine.get("used"),
            "shard": list(self.shard) if self.shard else None,
            "generated": generated,
            "skipped": len(self.indices) - len(self.todo),
            "failed": dict(self.failed),
            "labels": self.labels,
            "seconds": seconds,
            "seconds_per_image": seconds / generated if generated else None,
            "stage_seconds": {stage: self.totals[stage] / generated if generated else None for stage in STAGES},
        }
