"""User car models (the shared Kenney glTF set) mixed into real renders."""

import json

import pytest

from drbench.data.kitti import read_labels
from drbench.generate import Settings, generate
from drbench.generate.car_library import SIZES
from drbench.paths import car_models_dir

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(car_models_dir() is None or not (car_models_dir() / "kenney").is_dir(),
                                 reason="no shared car models")]


def test_models_keep_their_class_and_real_size(tmp_path):
    settings = Settings(width=320, height=96, max_cars=8, car_models_dir=str(car_models_dir() / "kenney"),
                        car_model_ratio=1.0)
    result = generate(tmp_path, 3, seed=2, settings=settings, progress=False)
    assert result["generated"] == 3, result["failed"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["car_models"] == {"models": 10, "by_class": {"Car": 5, "Van": 3, "Truck": 2}}
    seen = set()
    for i in range(3):
        objects = read_labels(tmp_path / "label_2" / f"{i:06d}.txt")
        side = json.loads((tmp_path / "label_json" / f"{i:06d}.json").read_text())["objects"]
        for obj, record in zip(objects, side):
            assert record["shape"].startswith("model:kenney/") and record["type"] == obj.type
            size = SIZES[obj.type]
            height, width, length = obj.dimensions
            assert size["length"][0] - 0.02 <= length <= size["length"][1] + 0.02
            assert size["width"][0] - 0.02 <= width <= size["width"][1] + 0.02
            assert 0.5 < height <= size["max_height"] + 0.02
            seen.add(obj.type)
    assert seen and seen <= {"Car", "Van", "Truck"}
