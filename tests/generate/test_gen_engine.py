"""Engine choice: EEVEE only where a GPU context works; its Cryptomatte labels equal Cycles' index labels."""

import os
from pathlib import Path

import pytest

from drbench.data.kitti import read_labels
from drbench.generate import Settings, generate
from drbench.generate.engine import choose, gpu_devices

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
