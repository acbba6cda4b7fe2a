"""A Docker image, built and run for real: build time, image size, and `drbench all`.

Run where a Docker engine answers (skipped, saying why, where `docker info` fails):
    python -m pytest benchmarks/test_bench_docker.py --benchmark-json=.benchmarks/docker.json

* build: ``docker/build.sh $DRBENCH_DOCKER_TARGET`` (the documented command; ``cpu`` by
  default, ``gpu`` for the CUDA image) as ``drbench:bench-<target>``, from the
  published base, or with ``DRBENCH_DOCKER_BASE=local`` from the base it bootstraps from
  Debian's mirror (machines that reach no container registry); ``extra_info`` holds the
  seconds and the image size. With the host's mmcv wheel cached and the image's layers
  already built this measures a rebuild; ``DRBENCH_DOCKER_NO_CACHE=1`` builds every layer
  again (the wheel still comes from the cache).
* run: ``docker run --rm`` of the image as its non-root user, with ``../shared`` mounted
  read-only and fresh, writable ``leaderboards/`` and ``runs/`` folders mounted, running
  ``drbench all`` at ``$DRBENCH_DOCKER_PROFILE`` (default ``smoke``); every entry written
  must be valid and record the commit the image was built from. The GPU image runs it
  without ``--gpus``: on the CPU, which is what a machine without a GPU can check of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from drbench.leaderboard.entries import validate
from drbench.paths import REPO_ROOT, SHARED_DEFAULT

TARGET = os.environ.get("DRBENCH_DOCKER_TARGET", "cpu")
IMAGE = f"drbench:bench-{TARGET}"


def docker_info() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    docker = shutil.which("docker")
    if not docker:
        return "no docker client on PATH"
    done = subprocess.run([docker, "info"], capture_output=True, text=True)
    if done.returncode:
        return f"`docker info` failed: {(done.stderr or done.stdout).strip().splitlines()[-1]}"
    return None


why_not = docker_info()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(why_not is not None, reason=f"no Docker engine: {why_not}")]


def head_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def built():
    base = os.environ.get("DRBENCH_DOCKER_BASE", "published")
    command = [str(REPO_ROOT / "docker" / "build.sh"), TARGET, "--base", base, "--tag", IMAGE]
    if os.environ.get("DRBENCH_DOCKER_NO_CACHE") == "1":
        command.append("--no-cache")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    size = int(subprocess.run(["docker", "image", "inspect", IMAGE, "--format", "{{.Size}}"],
                              capture_output=True, text=True, check=True).stdout)
    return {"seconds": seconds, "size_mb": size / 1e6, "base": base, "target": TARGET, "log": done.stderr[-2000:]}


def test_bench_docker_build(benchmark, built):
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(build_s=built["seconds"], image_mb=built["size_mb"], base=built["base"],
                                target=built["target"])
    env = subprocess.run(["docker", "image", "inspect", IMAGE, "--format", "{{json .Config}}"],
                         capture_output=True, text=True, check=True).stdout
    config = json.loads(env)
    assert config["User"] == "1000" and config["Entrypoint"] == ["drbench"]
    assert f"DRBENCH_GIT_COMMIT={head_commit()}" in config["Env"]
    assert not any(e.startswith("PIP_") for e in config["Env"]), "the host's pip settings stay out"
    history = subprocess.run(["docker", "history", "--no-trunc", IMAGE], capture_output=True,
                             text=True, check=True).stdout
    assert "127.0.0.1" not in history and "trusted-host" not in history
    no_conf = subprocess.run(["docker", "run", "--rm", "--entrypoint", "ls", IMAGE, "/etc/pip.conf"],
                             capture_output=True, text=True)
    assert no_conf.returncode != 0, "a secret mount left /etc/pip.conf in the image"
    helped = subprocess.run(["docker", "run", "--rm", IMAGE, "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "generate" in helped.stdout


def test_bench_docker_run_all(benchmark, built, tmp_path):
    profile = os.environ.get("DRBENCH_DOCKER_PROFILE", "smoke")
    board, runs = tmp_path / "leaderboards", tmp_path / "runs"
    for folder in (board, runs):
        folder.mkdir()
        folder.chmod(0o777)  # the image runs as UID 1000, whoever runs the benchmark
    command = ["docker", "run", "--rm", "-v", f"{SHARED_DEFAULT}:/shared:ro",
               "-v", f"{board}:/opt/drbench/leaderboards", "-v", f"{runs}:/opt/drbench/runs",
               "-e", "COLUMNS=120", IMAGE, "all", "--profile", profile]
    done = {}

    def run():
        done["result"] = subprocess.run(command, capture_output=True, text=True)

    benchmark.pedantic(run, rounds=1, iterations=1)
    result = done["result"]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    entries = sorted(board.glob("*.json"))
    assert entries, result.stdout[-3000:]
    for path in entries:
        entry = validate(json.loads(path.read_text()), where=str(path))
        assert entry["profile"] == profile
        assert entry["git"]["commit"] == head_commit(), entry["git"]
    assert (board / "index.html").is_file()
    benchmark.extra_info.update(profile=profile, entries=[p.name for p in entries],
                                git=json.loads(entries[0].read_text())["git"])
