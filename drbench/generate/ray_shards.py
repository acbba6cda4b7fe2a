"""Generate one data set across a Ray cluster: chunks of image indices as tasks on render actors.

Each actor (one per CPU slot, or per GPU) owns one long-lived render worker, the same
Blender child process ``local_run.generate`` drives, and renders a chunk of indices into
node-local scratch (a GenerationRun of its own); it hands the files' bytes back and the
driver writes them into ``out_dir`` (label file last), so the nodes need no shared output folder. Images depend
only on (run seed, index), so the data set and its one ``manifest.json`` equal a
single-process run's, byte for byte.

When an actor or its node is lost, its chunk goes back on the queue (up to
``max_attempts`` tries), a replacement actor is asked for, and the other actors go on;
a chunk that raised is retried the same way. The run itself (what is left, resume,
manifest, failure accounting, events, report) is the same GenerationRun as a local run's.

Test hook: with DRBENCH_RAY_FAULT=FILE in the nodes' environment, the first actor asked
for a chunk on the node whose id FILE holds deletes FILE and kills its node (its raylet,
then itself), so the lost-node path can be tested on a real local cluster.
"""

from __future__ import annotations

import collections
import math
import os
import shutil
import signal
import tempfile
from pathlib import Path

from drbench.events import EventLog
from drbench.generate import engine as engines
from drbench.generate.generation_run import GenerationRun, image_paths, progress_bar
from drbench.generate.local_run import generate
from drbench.generate.settings import Settings
from drbench.generate.worker_client import start_checked_worker
from drbench.io import write_bytes_atomic

FILE_ORDER = ("image", "mask", "side", "label")  # label last: a label file marks the image complete


class RenderActor:
    """One render worker on a Ray node (wrapped with ``ray.remote`` by ``generate_on_ray``)."""

    def __init__(self, n: int, seed: int, settings: dict, timeout: float, threads: int,
                 max_failures: int | None) -> None:
        self.n, self.seed, self.timeout, self.threads = n, seed, timeout, threads
        self.max_failures = max_failures
        self.settings = Settings.from_dict(settings)
        self.folder = Path(tempfile.mkdtemp(prefix="drbench-ray-"))
        self.worker = None

    def start(self) -> dict:
        """Start the render worker and check the randomizers (ConfigError if bad)."""
        import ray  # lazy: an optional extra (drbench[ray]), ~0.5 s to import, needed only on a cluster
        self.worker, randomizers = start_checked_worker(self.settings)
        return {"node": ray.get_runtime_context().get_node_id(), "randomizers": randomizers}

    def choose_engine(self) -> tuple[str, dict | None]:
        """The engine this node renders with (``auto`` probes EEVEE here, where the GPU is)."""
        return engines.choose(self.settings.engine)

    def render(self, indices: list[int], engine: str) -> dict:
        """Render ``indices``; returns {"files": {index: {kind: bytes}}, "failed", "totals", "labels", "stop"}."""
        _lose_node_if_asked()
        run = GenerationRun(out_dir=self.folder, n=self.n, seed=self.seed, settings=self.settings,
                            indices=indices, engine={"used": engine}, timeout=self.timeout,
                            max_failures=self.max_failures)
        run.make_output_folders()
        scratch = run.make_scratch()
        self.worker = run.render(scratch, self.threads, lambda: None, self.worker, keep=True)
        self.worker = run.retry_unwritten(scratch, self.threads, lambda: None, self.worker, keep=True)
        files = {}
        for index in indices:
            paths = {kind: Path(path) for kind, path in image_paths(self.folder, index, self.settings.masks).items()
                     if path}
            if index not in run.failed and all(path.exists() for path in paths.values()):
                files[index] = {kind: path.read_bytes() for kind, path in paths.items()}
            for path in paths.values():
                path.unlink(missing_ok=True)
        return {"files": files, "failed": run.failed, "totals": run.totals, "labels": run.labels,
                "stop": run.stop}

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _lose_node_if_asked() -> None:
    """The test hook (see the module docstring)."""
    path = os.environ.get("DRBENCH_RAY_FAULT")
    if not path or not os.path.exists(path):
        return
    import ray  # lazy: an optional extra (drbench[ray]), ~0.5 s to import, needed only on a cluster
    if Path(path).read_text().strip() != ray.get_runtime_context().get_node_id():
        return
    try:
        os.unlink(path)
    except FileNotFoundError:  # another actor on this node was first
        return
    pid = os.getppid()
    while pid > 1 and "raylet" not in Path(f"/proc/{pid}/comm").read_text():
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    if pid > 1:
        os.kill(pid, signal.SIGKILL)
    os._exit(1)


def _write_image(out_dir: Path, index: int, files: dict, masks: bool) -> None:
    paths = image_paths(out_dir, index, masks)
    for kind in FILE_ORDER:
        if paths.get(kind):
            write_bytes_atomic(paths[kind], files[kind])


def _chunks(todo: list[int], size: int) -> list[list[int]]:
    return [todo[start:start + size] for start in range(0, len(todo), size)]


def worker_count(resources: dict, cpus_per_worker: float, gpus_per_worker: float) -> int:
    """One actor per ``gpus_per_worker`` GPUs when given, else per ``cpus_per_worker`` CPUs of the cluster."""
    key, per = ("GPU", gpus_per_worker) if gpus_per_worker else ("CPU", cpus_per_worker)
    count = int(resources.get(key, 0) // per)
    if count < 1:
        raise RuntimeError(f"the Ray cluster has {resources.get(key, 0):g} {key}, "
                           f"not enough for one render worker needing {per:g}")
    return count


def generate_on_ray(
    out_dir: str | os.PathLike,
    n: int,
    seed: int,
    settings: Settings,
    address: str,
    workers: int | None = None,
    cpus_per_worker: float = 1,
    gpus_per_worker: float = 0,
    chunk: int | None = None,
    resume: bool = False,
    progress: bool = True,
    timeout: float = 600.0,
    max_failures: int | None = None,
    max_attempts: int = 3,
    config: dict | None = None,
    events: EventLog | None = None,
) -> dict:
    """Render ``n`` images into ``out_dir`` on the Ray cluster at ``address`` ("auto", "HOST:PORT"
    or "ray://HOST:10001"); same files and manifest as ``local_run.generate(out_dir, n, seed, settings)``.

    ``workers``: render actors (default: as many as the cluster's CPUs, or GPUs with
    ``gpus_per_worker``, hold). ``chunk``: images per task (default: about four tasks per
    actor, at most 16 images). Failed images, ``max_failures`` and ``events`` behave as in
    ``local_run.generate``. Returns its counts plus ``"ray"``: workers, chunks retried and
    chunks rendered per node id. An existing Ray connection (``ray.init`` done) is used as it is.
    """
    import ray  # lazy: an optional extra (drbench[ray]), ~0.5 s to import, needed only on a cluster
    from ray.exceptions import RayActorError, RayTaskError

    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    run = GenerationRun.for_folder(out_dir, n, seed, settings, resume=resume, timeout=timeout,
                                   max_failures=max_failures, config=config, events=events)
    if not run.todo:  # nothing to render: no cluster needed
        return {**generate(out_dir, n, seed, settings=settings, resume=resume, progress=progress, config=config,
                           events=events),
                "ray": None}
    owns_connection = not ray.is_initialized()
    if owns_connection:
        ray.init(address=address, logging_level="WARNING", log_to_driver=False)
    run.start_clock()
    if workers is None:
        workers = worker_count(ray.cluster_resources(), cpus_per_worker, gpus_per_worker)
    chunk = chunk or max(1, min(16, math.ceil(len(run.todo) / (4 * workers))))
    queue = collections.deque((part, 0) for part in _chunks(run.todo, chunk))
    workers = min(workers, len(queue))
    threads = settings.threads or max(1, int(cpus_per_worker))
    actor_class = ray.remote(RenderActor).options(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker,
                                                  max_restarts=0)
    actors, starting, idle, running = [], {}, [], {}
    node_of, retried, chunks_per_node = {}, 0, collections.Counter()

    def start_actor() -> None:
        actor = actor_class.remote(n, seed, settings.to_dict(), timeout, threads, max_failures)
        actors.append(actor)
        starting[actor.start.remote()] = actor

    def requeue(part: list[int], attempt: int, error: str) -> None:
        nonlocal retried
        if attempt + 1 >= max_attempts:
            run.stop = f"images {part[0]}..{part[-1]} failed {max_attempts} times; last error:\n{error}"
        else:
            queue.append((part, attempt + 1))
            retried += 1

    for _ in range(workers):
        start_actor()
    try:
        with progress_bar(progress) as bar:
            task = bar.add_task(f"rendering on Ray ({workers} workers)", total=len(run.todo), rate="")
            while run.stop is None and (queue or running):
                while idle and queue:
                    actor = idle.pop()
                    part, attempt = queue.popleft()
                    running[actor.render.remote(part, run.engine["used"])] = (actor, part, attempt)
                ref = ray.wait(list(running) + list(starting), num_returns=1)[0][0]
                if ref in starting:
                    actor = starting.pop(ref)
                    try:
                        answer = ray.get(ref)
                    except RayActorError:  # lost before it started: ask for another
                        start_actor()
                        continue
                    if not run.opened:  # the first actor up decides the engine, where the rendering happens
                        used, probe = ray.get(actor.choose_engine.remote())
                        run.open(used, probe, answer["randomizers"])
                    node_of[actor] = answer["node"]
                    idle.append(actor)
                    continue
                actor, part, attempt = running.pop(ref)
                try:
                    answer = ray.get(ref)
                except RayActorError as error:  # the actor or its node is gone (or unreachable: end it)
                    ray.kill(actor)
                    requeue(part, attempt, str(error))
                    start_actor()
                    continue
                except RayTaskError as error:
                    requeue(part, attempt, str(error))
                    idle.append(actor)
                    continue
                idle.append(actor)
                chunks_per_node[node_of[actor]] += 1
                for index, files in answer["files"].items():
                    _write_image(run.out_dir, index, files, settings.masks)
                run.record_chunk(answer)
                bar.update(task, advance=len(part), rate=run.rate())
        run.raise_if_stopped()
    finally:
        try:
            ray.get([actor.close.remote() for actor in idle], timeout=30)
        except Exception:  # noqa: BLE001 (best effort: the actors are killed next anyway)
            pass
        for actor in actors:
            ray.kill(actor)
        if owns_connection:
            ray.shutdown()
        if run.opened:
            run.finish()
    return {**run.report(), "ray": {"workers": workers, "retried": retried, "chunks_per_node": dict(chunks_per_node)}}
