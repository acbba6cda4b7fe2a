"""What produced a result: package versions and the git commit."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

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


def git_commit() -> dict[str, object]:
    """HEAD of the drbench checkout and whether the tree had uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.CalledProcessError):
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
