"""Generate a DR data set in KITTI layout on this machine, driving render worker child processes.

The parent never imports Blender: a worker that aborts or hangs is killed and
restarted, its image retried once, and a second failure is recorded in the
manifest while the run goes on (up to ``max_failures`` images; a randomizer's
own error is not retried: it would fail again). What is done, resume, the manifest
and the report belong to the run (generation_run.py); ``workers=K`` runs K
long-lived workers side by side, each taking the next index from the run's queue.
"""

from __future__ import annotations

import os
import shutil
import threading

from drbench.events import EventLog
from drbench.generate import engine as engines
from drbench.generate.generation_run import GenerationRun, progress_bar
from drbench.generate.settings import Settings
from drbench.generate.worker_client import start_checked_worker


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
    events: EventLog | None = None,
) -> dict:
    """Render ``n`` images into ``out_dir`` (image_2/, label_2/, label_json/, optional mask_2/, manifest).

    Pass either width/height/samples or a full ``settings``. ``resume`` skips indices
    whose files are complete; a larger ``n`` extends an earlier run (image seeds do
    not depend on ``n``). ``shard`` ("i/N" or (i, N)) renders only that slice.
    ``max_failures``: None skips failed images (recorded in the manifest) and stops
    after 3 failures in a row; a number K skips up to K and stops at the next, raising
    GenerationError (0 = stop at the first). ``config`` (path and hash of a config
    file) is recorded in the manifest. ``events``: the run's start, each failed image
    and its end are logged there. Returns counts, failures and mean per-stage seconds.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if settings is None:
        settings = Settings(width=width, height=height, samples=samples)
    elif (width, height, samples) != (1242, 375, 1):
        raise ValueError("pass width, height and samples inside settings, not beside it")
    run = GenerationRun.for_folder(out_dir, n, seed, settings, resume=resume, shard=shard, timeout=timeout,
                                   max_failures=max_failures, config=config, events=events)
    used, probe = engines.choose(settings.engine)
    first_worker, randomizers = start_checked_worker(settings) if run.todo else (None, None)
    run.open(used, probe, randomizers)
    scratch = run.make_scratch()
    threads = 0 if workers == 1 or settings.threads else max(1, (os.cpu_count() or 1) // workers)
    try:
        with progress_bar(progress) as bar:
            task = bar.add_task("rendering", total=len(run.todo), rate="")

            def advance() -> None:
                bar.update(task, advance=1, rate=run.rate())

            if workers == 1:
                run.render(scratch, threads, advance, first_worker)
            else:
                pool = [threading.Thread(target=run.render, args=(scratch, threads, advance,
                                                                  first_worker if k == 0 else None), daemon=True)
                        for k in range(min(workers, max(len(run.todo), 1)))]
                for thread in pool:
                    thread.start()
                for thread in pool:
                    thread.join()
            run.retry_unwritten(scratch, threads, advance)  # every worker has ended: every write finished
        run.raise_if_stopped()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        run.finish()
    return run.report()
