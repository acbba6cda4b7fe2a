"""Config files, settings validation and the model library: no renderer needed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drbench.generate import car_library
from drbench.generate.api import ConfigError, instantiate, resolve
from drbench.generate.config import default_out_dir, load_generation_config
from drbench.generate.settings import DEFAULT_RANDOMIZERS, Settings
from drbench.paths import car_models_dir

HERE = Path(__file__).resolve().parent
KENNEY = (car_models_dir() / "kenney") if car_models_dir() else None


def test_yaml_config_becomes_settings_and_run_options(tmp_path):
    (tmp_path / "textures").mkdir()
    config = tmp_path / "run.yaml"
    config.write_text(
        "n: 12\nseed: 5\nmax_failures: 2\nwidth: 640\nheight: 192\ntexture_bank: 8000\n"
        "texture_dir: textures\n"
        "ablations: {no_light_variation: true, half_textures: true, no_textures: false}\n"
        "randomizers:\n  - camera\n  - {name: cars, params: {max_cars: 3}}\n  - lights\n"
        "  - {name: user_randomizers.py:Tilt, params: {pitch: 2.5}}\n")
    settings, run = load_generation_config(config)
    assert run == {"n": 12, "seed": 5, "max_failures": 2}
    assert (settings.width, settings.height, settings.texture_bank, settings.active_texture_bank) == (640, 192, 8000, 4000)
    assert settings.texture_dir == str(tmp_path / "textures")  # relative to the config file
    assert settings.ablations == ("half_textures", "no_light_variation")
    # the light ablation drops the lights randomizer; params survive; entries without params stay names
    active = settings.active_randomizers
    assert active[0] == "camera" and active[1] == {"name": "cars", "params": {"max_cars": 3}}
    assert "lights" not in active and len(active) == 3
    # JSON with the same content is the same data set
    json_config = tmp_path / "run.json"
    json_config.write_text(json.dumps({"width": 640, "height": 192, "texture_bank": 8000, "texture_dir": "textures",
                                       "ablations": ["half_textures", "no_light_variation"],
                                       "randomizers": ["camera", {"name": "cars", "params": {"max_cars": 3}},
                                                       "lights", {"name": "user_randomizers.py:Tilt",
                                                                  "params": {"pitch": 2.5}}]}))
    assert load_generation_config(json_config)[0].digest(5) == settings.digest(5)


def test_config_hash_names_the_data_set():
    base = Settings()
    assert base.digest(0) == Settings().digest(0) and len(base.digest(0)) == 12
    assert base.digest(1) != base.digest(0)
    assert Settings(ablations=("no_distractors",)).digest(0) != base.digest(0)
    assert default_out_dir("cfg/kitti-like.yaml", base, 0) == Path("datasets") / f"kitti-like-{base.digest(0)}"
    # round trip through the manifest's form keeps the hash (resume relies on it)
    assert Settings.from_dict(base.to_dict()).digest(0) == base.digest(0)


@pytest.mark.parametrize("text, match", [
    ("widht: 100\n", r"bad\.yaml: unknown keys widht"),
    ("width: wide\n", r"bad\.yaml: width: .*integer"),
    ("samples: 0\n", r"bad\.yaml: .*samples must be >= 1"),
    ("ablations: [no_sky]\n", r"unknown ablations \['no_sky'\]"),
    ("ablations: [half_textures]\n", r"half_textures .* texture_bank"),
    ("randomizers: [{params: {a: 1}}]\n", r"bad\.yaml: a randomizer entry is a name or a mapping with 'name'"),
    ("randomizers: [{name: cars, parms: {}}]\n", r"randomizer 'cars': unknown keys \['parms'\]"),
    ("- 1\n- 2\n", r"expected a mapping at the top level"),
    ("n: many\n", r"n must be an integer"),
])
def test_bad_config_errors_name_the_file_and_key(tmp_path, text, match):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_generation_config(bad)


def test_function_and_class_randomizers_validate_their_parameters(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    ref = f"{HERE / 'user_randomizers.py'}:Tilt"
    [(stream, tilt)] = instantiate([{"name": ref, "params": {"pitch": 4}}])
    assert stream == "tilt" and tilt.pitch == 4.0
    with pytest.raises(ConfigError, match=r"randomizer '.*Tilt': parameter 'pitch': .*less than or equal to 10"):
        instantiate([{"name": ref, "params": {"pitch": 40}}])
    with pytest.raises(ConfigError, match=r"parameter 'yaw': Extra inputs are not permitted"):
        instantiate([{"name": ref, "params": {"yaw": 1}}])
    saboteur = resolve(f"{HERE / 'user_randomizers.py'}:saboteur")
    assert saboteur.name == "saboteur" and set(saboteur.model_fields) >= {"raise_at", "hang_at"}
    with pytest.raises(ConfigError, match="share the name 'tilt'"):
        instantiate([ref, ref])
    assert [s for s, _ in instantiate([ref, {"name": ref, "id": "tilt2"}])] == ["tilt", "tilt2"]
    with pytest.raises(ConfigError, match=r"unknown randomizer 'fogg' \(known: camera, cars"):
        resolve("fogg")
    with pytest.raises(ConfigError, match=r"no file .*missing\.py"):
        resolve("missing.py:Fog")


def test_min_max_parameter_pairs_must_be_ordered():
    code = ("from drbench.generate.api import instantiate, ConfigError\n"
            "try:\n    instantiate([{'name': 'camera', 'params': {'min_hfov': 95}}])\n"
            "except ConfigError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "randomizer 'camera'" in out and "min_hfov (95.0) must not exceed max_hfov (90.0)" in out


def test_default_randomizers_are_names_the_protocols_can_drop():
    assert Settings().randomizers == DEFAULT_RANDOMIZERS
    kept = [r for r in DEFAULT_RANDOMIZERS if r != "lights"]
    assert Settings.from_dict({"randomizers": kept}).active_randomizers == tuple(kept)


@pytest.mark.skipif(KENNEY is None, reason="no shared car models")
def test_model_library_classes_follow_readme_and_sidecars(tmp_path):
    models = car_library.find_models(KENNEY)
    assert len(models) == 10
    by_name = {Path(m.path).name: m.cls for m in models}
    assert by_name["sedan.glb"] == by_name["police.glb"] == "Car"
    assert by_name["van.glb"] == by_name["ambulance.glb"] == "Van"
    assert by_name["firetruck.glb"] == by_name["garbage-truck.glb"] == "Truck"
    assert car_library.summary(KENNEY)["by_class"] == {"Car": 5, "Van": 3, "Truck": 2}
    # a folder without README: file names decide, a sidecar wins over them
    (tmp_path / "city-bus.obj").write_text("v 0 0 0\n")
    (tmp_path / "minivan.fbx").write_bytes(b"")
    (tmp_path / "minivan.json").write_text('{"class": "Car", "forward": "+x"}')
    (tmp_path / "hatch.blend").write_bytes(b"")
    found = {Path(m.path).name: m for m in car_library.find_models(tmp_path)}
    assert {k: m.cls for k, m in found.items()} == {"city-bus.obj": "Truck", "minivan.fbx": "Car", "hatch.blend": "Car"}
    assert found["minivan.fbx"].forward == "+x"
    (tmp_path / "hatch.json").write_text('{"class": "Tank"}')
    with pytest.raises(ValueError, match=r"hatch\.blend: class 'Tank'"):
        car_library.find_models(tmp_path)
