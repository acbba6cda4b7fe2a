"""The render worker: a long-lived child process that owns Blender.

Blender can abort the whole process (SIGABRT from native code), so it never runs
in the caller; the parent's side (``worker_client.py``) restarts this process when it
dies. Protocol: one JSON job per line on stdin, one JSON answer per line on the
original stdout.
Blender prints to fd 1 from C, so fd 1 is pointed at stderr before bpy is
imported and answers go to a private duplicate of the original stdout.

Job: {"index", "seed" (the image seed), "run_seed", "settings" (Settings.to_dict()),
"engine" (cycles/eevee), "threads" (optional override), "image", "label", "mask",
"side" (paths; mask and side may be null), "scratch" (a folder for the render's
EXR, owned by the parent), "attempt"}; or {"op": "validate", "settings"}; or
{"op": "flush"} (wait for the last image's files, answer with its "previous_write").
Answer: {"index", "ok", "timings": {build, render, label, write}} or
{"index", "ok": false, "error", "retry", "randomizer"}; before it, any number of
{"progress": stage} lines (the parent keeps the last, to say where a hang was).
An image's files are written in a thread while the next image is built, so an
answer means "rendered and labelled"; the next answer's "previous_write" says
whether the files were written ({"index", "seconds", "labels"} or {"index", "error"}), and
at EOF the worker finishes the last write before it exits.

Test hook: DRBENCH_WORKER_FAULT="INDEX:MODE[:always],..." with MODE abort, exit
or raise makes the job for INDEX fail that way (first attempt only, unless
always), so crash isolation can be tested with the real worker.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import json
import os
import signal
import sys
import traceback

from drbench.generate import audit
from drbench.generate.api import ConfigError, RandomizerError


def _fault(job: dict) -> None:
    for spec in filter(None, os.environ.get("DRBENCH_WORKER_FAULT", "").split(",")):
        index, mode, *always = spec.split(":")
        if int(index) != job["index"] or (job.get("attempt", 0) > 0 and not always):
            continue
        if mode == "abort":
            os.abort()
        if mode == "exit":
            os._exit(3)
        raise RuntimeError(f"injected fault for image {index}")


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the parent dies, rather than finish a render for nobody
    (stdin's EOF would end the loop too, but only after the current image)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def main() -> None:
    _die_with_parent()
    answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    audit.install()
    from drbench.generate.pipeline import render_job, validate  # imports Blender: only after fd 1 is redirected

    def progress(stage: str) -> None:
        answers.write(json.dumps({"progress": stage}) + "\n")

    # Each image's files are written by this thread while the next image is built; an answer
    # reports the previous image's write (seconds or error), and EOF waits for the last one.
    writer = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    pending = None  # (index, future of the write's seconds)

    def settle() -> dict | None:
        nonlocal pending
        if pending is None:
            return None
        index, future = pending
        pending = None
        try:
            return {"index": index, **future.result()}
        except Exception as error:
            detail = str(error) if isinstance(error, RandomizerError) else traceback.format_exc(limit=4)
            return {"index": index, "error": detail}

    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        future = None
        try:
            if job.get("op") == "validate":
                answer = validate(job["settings"])
            elif job.get("op") == "flush":  # finish the last write and report it
                answer = {"ok": True}
            else:
                _fault(job)
                answer = render_job(job, progress, writer)
                future = answer.pop("pending", None)
        except (RandomizerError, ConfigError) as error:  # deterministic: retrying cannot help
            answer = {"index": job.get("index"), "ok": False, "error": str(error), "retry": False,
                      "randomizer": getattr(error, "randomizer", None), "config_error": isinstance(error, ConfigError)}
        except Exception:  # a Python error in one image must not end the run
            answer = {"index": job.get("index"), "ok": False, "error": traceback.format_exc(limit=8)}
        previous = settle()
        if previous is not None:
            answer["previous_write"] = previous
        if future is not None:
            pending = (job["index"], future)
        answers.write(json.dumps(answer) + "\n")
    settle()
    writer.shutdown()


if __name__ == "__main__":
    main()
