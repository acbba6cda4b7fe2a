"""What produced a result: package versions and the git commit."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from drbench.paths import REPO_ROOT

PACKAGES = ("drbench", "torch", "torchvision", "mmengine", "mmcv", "mmdet", "bpy", "numpy")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


COMMIT_ENV = "DRBENCH_GIT_COMMIT"  # set at build time in the Docker images (docker/build.sh)
DIRTY_ENV = "DRBENCH_GIT_DIRTY"    # "true"/"false": the build's tree had uncommitted changes
OUTPUT_DIR = "leaderboards"         # written by runs; not a change to the code that made them


def git_commit(root: Path = REPO_ROOT) -> dict[str, object]:
    """HEAD of the drbench checkout and whether the tree had uncommitted changes.

    Where ``root`` is no git checkout (a Docker image holds no ``.git``), the commit the
    image was built from, recorded in ``$DRBENCH_GIT_COMMIT`` (and ``$DRBENCH_GIT_DIRTY``);
    ``source`` says which of the two it came from.
    """
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
    try:
        # the board folder holds what runs write (entries, predictions, pages): a multi-arm run's
        # own earlier entries must not mark its later ones as made from an edited tree
        changed = git("status", "--porcelain", "--", ".", f":(exclude){OUTPUT_DIR}")
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(changed)}
    except (OSError, subprocess.CalledProcessError):
        pass
    built_from = os.environ.get(COMMIT_ENV, "").strip()
    if built_from:
        dirty = {"true": True, "false": False}.get(os.environ.get(DIRTY_ENV, "").strip().lower())
        return {"commit": built_from, "dirty": dirty, "source": f"${COMMIT_ENV} (set when the image was built)"}
    return {"commit": "unknown", "dirty": None}


def hardware() -> dict[str, object]:
    """Where the numbers were measured: timings only compare on the same hardware."""
    import torch  # lazy: ~2.5 s; the runner, which the CLI imports, imports this module

    return {
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
