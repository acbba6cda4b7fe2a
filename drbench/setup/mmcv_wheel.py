"""Build (once) and install mmcv 2.1.0 with its C++ ops for the installed torch.

mmcv 2.1.0 ships only as an sdist, and mmdet 3.3.0 needs its compiled ops
(``mmcv._ext``). Two source changes make it build against torch 2.14
(see ../shared/field-notes.md): C++20 instead of C++17, and ``setuptools<81``
(which still has ``pkg_resources``) with ``--no-build-isolation``.

The wheel fits exactly one Python and one torch, so it is cached under
``$DRBENCH_WHEEL_CACHE`` (default ``~/.cache/drbench/wheels``) keyed by
``mmcv-<ver>/torch-<ver>/cp<py>`` (``cp<py>-cuda-<archs>`` with CUDA ops); a second
install takes seconds. ``FORCE_CUDA=1`` also compiles the CUDA ops for
``$TORCH_CUDA_ARCH_LIST``: docker/Dockerfile.gpu sets it, since no GPU is visible
while an image builds. nvcc comes from ``$CUDA_HOME``, else from ``nvcc`` on PATH,
else from NVIDIA's PyPI wheels of the CUDA release torch was built for
(``cuda-toolkit[nvcc,cccl]``, the version torch itself requires), installed here
when missing: no CUDA base image is needed.

Stdlib only: it runs before drbench itself is installed.
Usage: python drbench/setup/mmcv_wheel.py [--build-only]
"""

from __future__ import annotations

import glob
import os
import platform
import re
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
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    if with_cuda():  # a wheel built for some GPU architectures must not serve a build asking for others
        archs = os.environ.get("TORCH_CUDA_ARCH_LIST", "").strip()
        py += "-cuda-" + (re.sub(r"[^0-9A-Za-z.+]+", "_", archs) if archs else "default")
    return root / f"mmcv-{MMCV_VERSION}" / f"torch-{torch_ver}" / py


def with_cuda() -> bool:
    return os.environ.get("FORCE_CUDA", "0") == "1"


def cuda_toolkit_requirement() -> str:
    """nvcc and its headers from PyPI, for the CUDA release the installed torch requires."""
    from importlib import metadata

    for requirement in metadata.requires("torch") or []:
        found = re.match(r"cuda-toolkit\[[^\]]*\]\s*==\s*([\w.]+)", requirement)
        if found:
            return f"cuda-toolkit[nvcc,cccl]=={found.group(1)}"
    raise RuntimeError("torch does not require NVIDIA's cuda-toolkit wheels: set CUDA_HOME to a "
                       "CUDA toolkit with nvcc to compile mmcv's CUDA ops")


def cuda_home() -> str:
    """A CUDA_HOME with nvcc: $CUDA_HOME, the toolkit of ``nvcc`` on PATH, or NVIDIA's wheels.

    The wheels lay the toolkit out flat under ``site-packages/nvidia/cu<major>``; two
    symlinks make it look like a toolkit to nvcc (its profile looks for headers under
    ``targets/<arch>-linux``) and to torch's extension build (which links ``-lcudart``).
    """
    if os.environ.get("CUDA_HOME"):
        return os.environ["CUDA_HOME"]
    nvcc = shutil.which("nvcc")
    if nvcc:
        return str(Path(nvcc).resolve().parents[1])
    import torch

    if not torch.version.cuda:
        raise RuntimeError(f"FORCE_CUDA=1 but torch {torch.__version__} is a CPU-only build")
    root = Path(torch.__file__).resolve().parents[1] / "nvidia" / f"cu{torch.version.cuda.split('.')[0]}"
    if not (root / "bin" / "nvcc").is_file():
        requirement = cuda_toolkit_requirement()
        print(f"mmcv: no nvcc found; installing {requirement} from PyPI", flush=True)
        pip("install", requirement)
    if not (root / "bin" / "nvcc").is_file():
        raise RuntimeError(f"{root}/bin/nvcc missing after installing {cuda_toolkit_requirement()}")
    target = root / "targets" / f"{platform.machine()}-linux"
    if not target.exists():
        target.parent.mkdir(exist_ok=True)
        target.symlink_to("..")
    cudart = sorted((root / "lib").glob("libcudart.so.*"))
    if cudart and not (root / "lib" / "libcudart.so").exists():
        (root / "lib" / "libcudart.so").symlink_to(cudart[0].name)
    return str(root)


def pip(*args: str, env: dict | None = None, cwd: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env, cwd=cwd)


def build(dest: Path) -> Path:
    """Download the sdist, patch it, compile it, strip debug info; return the wheel."""
    with tempfile.TemporaryDirectory(prefix="mmcv-build-") as tmp:
        tmp_path = Path(tmp)
        # pip runs setup.py for the sdist's metadata; with FORCE_CUDA=1 (the GPU image's build)
        # that already asks for CUDA_HOME, which only the compile below needs and sets
        pip("download", "--no-deps", "--no-binary", ":all:", "--no-build-isolation",
            "-d", str(tmp_path / "sdist"), f"mmcv=={MMCV_VERSION}", env=dict(os.environ, FORCE_CUDA="0"))
        sdist = next((tmp_path / "sdist").glob("mmcv-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            # extraction filters came in Python 3.11.4; Debian bookworm's (the images' base) is 3.11.2
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(tmp_path / "src", **safe)
        src = next((tmp_path / "src").iterdir())
        setup_py = src / "setup.py"
        text = setup_py.read_text()
        if "-std=c++17" not in text:
            raise RuntimeError(f"{setup_py}: expected '-std=c++17' to patch; mmcv source changed")
        setup_py.write_text(text.replace("-std=c++17", "-std=c++20"))
        env = dict(os.environ, MMCV_WITH_OPS="1", FORCE_CUDA="1" if with_cuda() else "0",
                   MAX_JOBS=os.environ.get("MAX_JOBS", str(os.cpu_count() or 2)))
        if with_cuda():
            env["CUDA_HOME"] = cuda_home()
            env["PATH"] = f"{env['CUDA_HOME']}/bin{os.pathsep}{env.get('PATH', '')}"
            print(f"mmcv: CUDA ops with {env['CUDA_HOME']}/bin/nvcc for "
                  f"TORCH_CUDA_ARCH_LIST={os.environ.get('TORCH_CUDA_ARCH_LIST', '(torch default)')}",
                  flush=True)
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
