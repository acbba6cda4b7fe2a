"""A real local Ray cluster for tests: a head node and more nodes on this machine, one CPU each."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ray

RAY = str(Path(sys.executable).parent / "ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _end_group(group: int) -> None:
    """End one `ray start` and the daemons it left (they keep its process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


@contextlib.contextmanager
def local_cluster(nodes: int = 2, env: dict | None = None):
    """Yield the address of a running cluster of ``nodes`` one-CPU nodes; tear it all down after."""
    address = f"127.0.0.1:{_free_port()}"
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must stay < 108 bytes
    env = {**os.environ, **(env or {})}
    head = ["--head", "--node-ip-address", "127.0.0.1", "--port", address.split(":")[1],
            "--include-dashboard", "false", "--temp-dir", temp]
    groups = []
    try:
        for args in [head] + [["--address", address]] * (nodes - 1):
            start = subprocess.Popen([RAY, "start", *args, "--num-cpus", "1", "--disable-usage-stats"], env=env,
                                     start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
            groups.append(start.pid)
            output = start.communicate(timeout=120)[0]
            assert start.returncode == 0, output
        ray.init(address=address, logging_level="WARNING", log_to_driver=False)
        try:
            deadline = time.monotonic() + 60
            while ray.cluster_resources().get("CPU", 0) < nodes:
                assert time.monotonic() < deadline, f"not every node joined: {ray.nodes()}"
                time.sleep(0.5)
        finally:
            ray.shutdown()
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for group in reversed(groups):
            _end_group(group)
        shutil.rmtree(temp, ignore_errors=True)
