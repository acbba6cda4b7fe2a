"""User randomizers, failures and ablations, with real (tiny) renders in the worker."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from drbench.data.kitti import read_labels
from drbench.generate import Settings, generate
from drbench.generate.api import ConfigError
from drbench.generate.config import load_generation_config
from drbench.generate.generation_run import GenerationError

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
USER = HERE / "user_randomizers.py"
TINY = dict(width=160, height=48, max_cars=3, max_distractors=2, max_hard_negatives=2)


def _manifest(out):
    return json.loads((out / "manifest.json").read_text())


def test_bad_parameters_stop_the_run_before_any_image(tmp_path):
    settings = Settings(**TINY, randomizers=("camera", "cars", {"name": f"{USER}:Tilt", "params": {"pitch": 45}}))
    with pytest.raises(ConfigError, match=r"randomizer '.*Tilt': parameter 'pitch': .*less than or equal to 10"):
        generate(tmp_path, 2, seed=0, settings=settings, progress=False)
    assert not list(tmp_path.glob("*/*"))


def test_each_kind_of_randomizer_failure_names_randomizer_and_image(tmp_path):
    params = dict(raise_at=1, hang_at=2, nan_at=3, negative_light_at=4, no_cars_at=5, bad_background_at=6)
    settings = Settings(**TINY, randomizer_timeout=1.0,
                        randomizers=("camera", "cars", {"name": f"{USER}:saboteur", "params": params}, "lights"))
    result = generate(tmp_path, 7, seed=0, settings=settings, progress=False, max_failures=6)
    failed = result["failed"]
    assert result["generated"] == 1 and sorted(failed) == [1, 2, 3, 4, 5, 6]
    expected = {1: "raised ZeroDivisionError: deliberate", 2: "still running after 1 s",
                3: "non-finite location", 4: "invalid power -5.0", 5: "no car in view"}
    for index, text in expected.items():
        assert f"randomizer 'saboteur' on image {index}: " in failed[index] and text in failed[index], failed[index]
    # a background is drawn in the writer thread, after the render: still named, still not written
    assert "randomizer 'background' on image 6: " in failed[6] and "shape (2, 2, 3)" in failed[6], failed[6]
    # the data set so far is valid: image 0 complete, nothing of the failed ones, failures recorded
    assert [p.name for p in sorted((tmp_path / "label_2").iterdir())] == ["000000.txt"]
    assert len(list((tmp_path / "image_2").iterdir())) == 1
    manifest = _manifest(tmp_path)
    assert sorted(manifest["failed"]) == ["1", "2", "3", "4", "5", "6"] and not manifest["complete"]
    assert [r["stream"] for r in manifest["randomizers"]] == ["camera", "cars", "saboteur", "lights"]
    assert manifest["randomizers"][2]["params"]["hang_at"] == 2


def test_max_failures_zero_stops_at_the_first_failure(tmp_path):
    settings = Settings(**TINY, randomizers=("camera", "cars", {"name": f"{USER}:saboteur",
                                                                "params": {"raise_at": 1}}))
    with pytest.raises(GenerationError, match=r"(?s)max_failures = 0.*randomizer 'saboteur' on image 1"):
        generate(tmp_path, 4, seed=0, settings=settings, progress=False, max_failures=0)
    assert [p.name for p in sorted((tmp_path / "label_2").iterdir())] == ["000000.txt"]
    manifest = _manifest(tmp_path)
    assert list(manifest["failed"]) == ["1"] and not manifest["complete"]
    # resuming with a larger budget skips the bad image and completes the rest
    result = generate(tmp_path, 4, seed=0, settings=settings, progress=False, max_failures=1, resume=True)
    assert result["skipped"] == 1 and result["generated"] == 2 and list(result["failed"]) == [1]


def test_user_randomizer_parameters_reach_the_scene(tmp_path):
    # The class-form randomizer sets the camera pitch; the side file reports the camera.
    settings = Settings(**TINY, randomizers=("cars", {"name": f"{USER}:Tilt", "params": {"pitch": -6.5}}))
    result = generate(tmp_path, 1, seed=0, settings=settings, progress=False)
    assert result["generated"] == 1, result["failed"]
    side = json.loads((tmp_path / "label_json" / "000000.json").read_text())
    assert side["camera"]["pitch_deg"] == pytest.approx(-6.5, abs=1e-4)


def test_entry_point_randomizers_are_found_by_name(tmp_path, monkeypatch):
    # an installed distribution advertising group drbench.randomizers (a bare dist-info on the path)
    site = tmp_path / "site"
    info = site / "drbench_test_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: drbench-test-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[drbench.randomizers]\ntilt_plugin = user_randomizers:Tilt\n")
    monkeypatch.setenv("PYTHONPATH", f"{site}:{HERE}")
    settings = Settings(**TINY, randomizers=("cars", {"name": "tilt_plugin", "params": {"pitch": 3.0}}))
    result = generate(tmp_path / "out", 1, seed=0, settings=settings, progress=False)
    assert result["generated"] == 1, result["failed"]
    assert _manifest(tmp_path / "out")["randomizers"][1] == {
        "stream": "tilt", "class": "user_randomizers:Tilt", "params": {"pitch": 3.0}}


def test_texture_bank_bounds_the_distinct_textures(tmp_path):
    # No cars or props: the image is the ground's texture under the fixed sun. From a bank
    # of one texture every image is the same; unbounded, each image draws its own.
    def run(name, bank):
        settings = Settings(width=64, height=32, min_cars=0, texture_bank=bank, randomizers=("textures",))
        generate(tmp_path / name, 3, seed=1, settings=settings, progress=False)
        return [(tmp_path / name / "image_2" / f"{i:06d}.png").read_bytes() for i in range(3)]

    assert len(set(run("bank1", 1))) == 1
    assert len(set(run("free", 0))) == 3


def test_user_texture_images(tmp_path):
    textures = tmp_path / "textures"
    textures.mkdir()
    cv2.imwrite(str(textures / "red.png"), np.full((16, 16, 3), (0, 0, 255), np.uint8))
    settings = Settings(width=64, height=32, min_cars=0, texture_dir=str(textures),
                        randomizers=({"name": "textures", "params": {"image_share": 1.0}},))
    assert generate(tmp_path / "out", 1, seed=0, settings=settings, progress=False)["generated"] == 1
    ground = cv2.imread(str(tmp_path / "out" / "image_2" / "000000.png"))[-8:].reshape(-1, 3).mean(axis=0)
    blue, green, red = ground
    assert red > 3 * max(blue, green, 1), ground  # the road shows the red image


def test_ablations_and_user_backgrounds(tmp_path):
    backgrounds = tmp_path / "backgrounds"
    backgrounds.mkdir()
    colour = (30, 200, 220)  # BGR on disk
    cv2.imwrite(str(backgrounds / "plain.png"), np.full((90, 120, 3), colour, np.uint8))
    settings = Settings(**TINY, background_dir=str(backgrounds), ablations=("no_distractors", "no_light_variation"),
                        randomizers=("camera", "cars", "distractors", "lights",
                                     {"name": "background", "params": {"image_share": 1.0}}))
    result = generate(tmp_path / "out", 2, seed=0, settings=settings, progress=False)
    assert result["generated"] == 2, result["failed"]
    assert [r["stream"] for r in _manifest(tmp_path / "out")["randomizers"]] == ["camera", "cars", "background"]
    for i in range(2):
        image = cv2.imread(str(tmp_path / "out" / "image_2" / f"{i:06d}.png"))
        assert np.abs(image[0, 0].astype(int) - colour).max() <= 1  # the sky shows the user's image
        assert all(obj.type == "Car" for obj in read_labels(tmp_path / "out" / "label_2" / f"{i:06d}.txt"))


def test_the_worked_example_from_a_config_file(tmp_path):
    config = tmp_path / "billboards.yaml"
    config.write_text("width: 160\nheight: 48\nmax_cars: 2\nrandomizers:\n  - camera\n  - cars\n"
                      "  - {name: 'drbench.generate.examples.billboards:Billboards', params: {min_count: 2, max_count: 2}}\n"
                      "  - textures\n")
    settings, _ = load_generation_config(config)
    result = generate(tmp_path / "out", 1, seed=0, settings=settings, progress=False)
    assert result["generated"] == 1, result["failed"]
    streams = {r["stream"]: r["params"] for r in _manifest(tmp_path / "out")["randomizers"]}
    assert streams["billboards"]["max_count"] == 2 and streams["billboards"]["max_width"] == 6.0


def _car_yaws(lane_share: float, images: int = 12) -> np.ndarray:
    """The cars' headings relative to the road over a few scenes (built in-process, not rendered)."""
    from drbench.generate import randomizers as axes
    from drbench.generate.scene import new_scene

    cars = {"name": "cars", "params": {"lane_share": lane_share, "min_cars": 8, "max_cars": 8}}
    yaws = []
    for seed in range(images):
        ctx = new_scene(Settings(**TINY, randomizers=("camera", cars)))
        axes.apply(ctx, image_seed=seed, index=seed)
        yaws += [car.rotation_euler.z - ctx.road_yaw for car in ctx.cars]
    return np.mod(yaws, 2 * np.pi)


def test_lane_share_zero_spreads_the_cars_yaws_over_the_circle():
    paper = _car_yaws(0.0)
    assert len(paper) >= 80
    counts = np.histogram(paper, bins=8, range=(0, 2 * np.pi))[0]
    assert counts.min() >= 0.4 * len(paper) / 8, counts  # every 45° sector is used
    assert abs(np.exp(1j * paper).mean()) < 0.2  # no preferred heading
    # the default puts most cars along the road, either way: near 0 or pi
    along = np.abs(np.sin(_car_yaws(0.65))) < np.sin(np.radians(15))
    assert along.mean() > 0.5 and (np.abs(np.sin(paper)) < np.sin(np.radians(15))).mean() < 0.3
