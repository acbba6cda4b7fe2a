"""The render worker: a long-lived child process that owns Blender.

Blender can abort the whole process (SIGABRT from native code), so it never runs
in the caller; ``runner.py`` restarts this process when it dies. Protocol: one
JSON job per line on stdin, one JSON answer per line on the original stdout.
Blender prints to fd 1 from C, so fd 1 is pointed at stderr before bpy is
imported and answers go to a private duplicate of the original stdout.

Job: {"index", "seed" (the image seed), "settings" (Settings.to_dict()),
"image", "label", "mask" (paths; mask may be null), "scratch" (a folder for
the render's EXR, owned by the parent), "attempt"}.
Answer: {"index", "ok", "labels", "timings": {build, render, label, write}} or
{"index", "ok": false, "error"}.

Test hook: DRBENCH_WORKER_FAULT="INDEX:MODE[:always],..." with MODE abort, exit
or raise makes the job for INDEX fail that way (first attempt only, unless
always), so crash isolation can be tested with the real worker.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import traceback


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
    from drbench.generate.pipeline import render_job  # imports Blender: only after fd 1 is redirected

    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            _fault(job)
            answer = render_job(job)
        except Exception:  # a Python error in one image must not end the run
            answer = {"index": job.get("index"), "ok": False, "error": traceback.format_exc(limit=8)}
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
