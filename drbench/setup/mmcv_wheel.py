"""Build (once) and install mmcv 2.1.0 with its C++ ops for the installed torch.

mmcv 2.1.0 ships only as an sdist, and mmdet 3.3.0 needs its compiled ops
(``mmcv._ext``). Two source changes make it build against torch 2.14
(see ../shared/field-notes.md): C++20 instead of C++17, and ``setuptools<81``
(which still has ``pkg_resources``) with ``--no-build-isolation``.

The wheel fits exactly one Python and one torch, so it is cached under
``$DRBENCH_WHEEL_CACHE`` (default ``~/.cache/drbench/wheels``) keyed by
``mmcv-<ver>/torch-<ver>/cp<py>`` (``cp<py>-cuda`` with CUDA ops); a second
install takes seconds. ``FORCE_CUDA=1`` also compiles the CUDA ops (with nvcc
from ``$CUDA_HOME``, for ``$TORCH_CUDA_ARCH_LIST``): docker/Dockerfile.gpu sets it,
since no GPU is visible while an image builds.

Stdlib only: it runs before drbench itself is installed.
Usage: python drbench/setup/mmcv_wheel.py [--build-only]
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

MMCV_VERSION = "2.1.0"


def cache_dir() -> Path:
    """Folder holding the wheel for this Python and torch."""
    import torch  # only needed for the key

    root = Path(os.environ.get("DRBENCH_WHEEL_CACHE", Path.home() / ".cache/drbench/wheels"))
    torch_ver = torch.__version__.split("+")[0]
    py = f"cp{sys.version_info.major}{sys.version_info.minor}" + ("-cuda" if with_cuda() else "")
    return root / f"mmcv-{MMCV_VERSION}" / f"torch-{torch_ver}" / py


def with_cuda() -> bool:
    return os.environ.get("FORCE_CUDA", "0") == "1"


def pip(*args: str, env: dict | None = None, cwd: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env, cwd=cwd)


def build(dest: Path) -> Path:
    """Download the sdist, patch it, compile it, strip debug info; return the wheel."""
    with tempfile.TemporaryDirectory(prefix="mmcv-build-") as tmp:
        tmp_path = Path(tmp)
        pip("download", "--no-deps", "--no-binary", ":all:", "--no-build-isolation",
            "-d", str(tmp_path / "sdist"), f"mmcv=={MMCV_VERSION}")
        sdist = next((tmp_path / "sdist").glob("mmcv-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp_path / "src", filter="data")
        src = next((tmp_path / "src").iterdir())
        setup_py = src / "setup.py"
        text = setup_py.read_text()
        if "-std=c++17" not in text:
            raise RuntimeError(f"{setup_py}: expected '-std=c++17' to patch; mmcv source changed")
        setup_py.write_text(text.replace("-std=c++17", "-std=c++20"))
        env = dict(os.environ, MMCV_WITH_OPS="1", FORCE_CUDA="1" if with_cuda() else "0",
                   MAX_JOBS=os.environ.get("MAX_JOBS", str(os.cpu_count() or 2)))
        pip("wheel", "--no-build-isolation", "--no-deps", "-w", str(tmp_path / "wheel"), ".",
            env=env, cwd=str(src))
        wheel = next((tmp_path / "wheel").glob("mmcv-*.whl"))
        # Debug symbols make the wheel 32 MB; stripped it is ~1.5 MB and works the same.
        subprocess.run([sys.executable, "-m", "wheel", "unpack", "-d", str(tmp_path / "unpacked"),
                        str(wheel)], check=True)
        unpacked = next((tmp_path / "unpacked").iterdir())
        if shutil.which("strip"):
            for so in glob.glob(str(unpacked / "**/*.so"), recursive=True):
                subprocess.run(["strip", "--strip-debug", so], check=True)
        (tmp_path / "stripped").mkdir()
        subprocess.run([sys.executable, "-m", "wheel", "pack", "-d", str(tmp_path / "stripped"),
                        str(unpacked)], check=True)
        built = next((tmp_path / "stripped").glob("mmcv-*.whl"))
        dest.mkdir(parents=True, exist_ok=True)
        part = dest / (built.name + ".part")
        shutil.copy2(built, part)
        final = dest / built.name
        os.replace(part, final)  # atomic: a killed build never leaves a torn wheel
        return final


def main() -> int:
    dest = cache_dir()
    wheels = sorted(dest.glob("mmcv-*.whl"))
    if wheels:
        wheel = wheels[-1]
        print(f"mmcv: using cached wheel {wheel}", flush=True)
    else:
        print(f"mmcv: no cached wheel in {dest}; compiling mmcv {MMCV_VERSION} "
              "with ops (about 15-20 minutes on 2 cores)", flush=True)
        wheel = build(dest)
    if "--build-only" not in sys.argv:
        pip("install", "--no-deps", str(wheel))
    return 0


if __name__ == "__main__":
    sys.exit(main())
