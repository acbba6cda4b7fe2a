"""The parent's side of a render worker (worker.py): start the Blender child, send it jobs, survive it.

Blender can abort or hang the process it runs in, so it runs in a child; this module
talks to that child over JSON lines and turns its death, hang or error into a
WorkerError (or a ConfigError for a bad randomizer), so the caller can restart it.
"""

from __future__ import annotations

import collections
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import drbench
from drbench.generate.api import ConfigError
from drbench.generate.settings import Settings


class WorkerError(RuntimeError):
    """The worker died, hung, or answered with an error."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


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


def render_with_retry(worker: Worker | None, job: dict, timeout: float) -> tuple[Worker | None, dict | None, str]:
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


def start_checked_worker(settings: Settings) -> tuple[Worker, list]:
    """A worker that has resolved and validated the randomizers (they import Blender); ConfigError if bad.

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
