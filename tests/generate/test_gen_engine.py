"""Engine choice: EEVEE only where a GPU context works; its Cryptomatte labels equal Cycles' index labels;
Cycles on a GPU only where Cycles lists one."""

import os
from pathlib import Path

import pytest

from drbench.data.kitti import read_labels
from drbench.generate import Settings, generate
from drbench.generate.engine import CYCLES_GPU, choose, cycles_gpus, gpu_devices

HERE = Path(__file__).resolve().parent
# EEVEE on a software context (Mesa llvmpipe) works but compiles shaders for ~20-60 s:
# run it where a GPU exists, or on request.
WANT_EEVEE = bool(gpu_devices()) or os.environ.get("DRBENCH_TEST_EEVEE") == "1"


def test_cycles_needs_no_probe_and_auto_without_gpu_is_cycles():
    assert choose("cycles") == ("cycles", None)
    if not gpu_devices():
        engine, probe = choose("auto")
        assert engine == "cycles" and "no GPU device" in probe["error"]


@pytest.mark.slow
@pytest.mark.skipif(not WANT_EEVEE, reason="no GPU device; set DRBENCH_TEST_EEVEE=1 to run EEVEE on llvmpipe")
def test_eevee_labels_equal_cycles_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    labels = {}
    for engine in ("eevee", "cycles"):
        settings = Settings(width=480, height=144, engine=engine, randomizers=("known_scenes:three_cars",))
        result = generate(tmp_path / engine, 1, seed=0, settings=settings, progress=False)
        assert result["generated"] == 1 and result["engine"] == engine, result["failed"]
        labels[engine] = [o.to_line() for o in read_labels(tmp_path / engine / "label_2" / "000000.txt")]
    assert labels["eevee"] == labels["cycles"] and len(labels["cycles"]) == 3


@pytest.mark.slow
def test_cycles_gpu_engines_ask_cycles_for_their_devices(tmp_path, monkeypatch):
    devices = cycles_gpus()  # a real Blender process lists what Cycles can render on
    assert set(devices) == set(CYCLES_GPU.values())
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    settings = Settings(width=480, height=144, engine="cycles-optix", randomizers=("known_scenes:three_cars",))
    if not devices["OPTIX"]:
        with pytest.raises(RuntimeError, match="engine cycles-optix requested but Cycles finds no OPTIX device"):
            generate(tmp_path / "optix", 1, seed=0, settings=settings, progress=False)
        assert not list(tmp_path.glob("optix/image_2/*")), "nothing is rendered on a refused engine"
        return
    result = generate(tmp_path / "optix", 1, seed=0, settings=settings, progress=False)
    assert result["generated"] == 1 and result["engine"] == "cycles-optix", result["failed"]
    cpu = generate(tmp_path / "cpu", 1, seed=0, progress=False,
                   settings=Settings(width=480, height=144, randomizers=("known_scenes:three_cars",)))
    assert cpu["generated"] == 1
    assert (read_labels(tmp_path / "optix" / "label_2" / "000000.txt")
            == read_labels(tmp_path / "cpu" / "label_2" / "000000.txt")), "labels do not depend on the device"
