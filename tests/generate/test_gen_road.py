"""The road_scene randomizer (structured placement): scene geometry in-process, then real renders."""

import math

import cv2
import numpy as np
import pytest

from drbench.data.kitti import read_labels
from drbench.generate import Settings, generate
from drbench.generate.settings import DEFAULT_RANDOMIZERS

pytestmark = pytest.mark.slow

TINY = dict(width=160, height=48, max_cars=6, max_distractors=2, max_hard_negatives=2)


def _built_scene(seed: int, randomizers):
    import bpy  # noqa: F401  (Blender in this process: scene building only, no render)

    from drbench.generate import randomizers as axes
    from drbench.generate.scene import new_scene

    ctx = new_scene(Settings(**TINY, randomizers=tuple(randomizers)))
    axes.apply(ctx, image_seed=seed, index=seed)
    return ctx


def _road_frame(ctx, points):
    """World x, y -> (along the road, lane offset) as used by ctx.lanes."""
    yaw = ctx.road_yaw
    return [(x * math.cos(yaw) + y * math.sin(yaw), x * math.sin(yaw) - y * math.cos(yaw)) for x, y in points]


@pytest.mark.parametrize("seed", range(6))
def test_road_covers_the_lanes_and_facades_keep_clear_of_cars_and_camera(seed):
    ctx = _built_scene(seed, ["camera", "cars", "road_scene"])
    import bpy  # lazy: loads Blender into the pytest process; only the in-process scene tests need it

    road = bpy.data.objects["road"]
    corners = [road.matrix_world @ v.co for v in road.data.vertices]
    offsets = [o for _, o in _road_frame(ctx, [(c.x, c.y) for c in corners])]
    # the asphalt spans every lane the cars used, with room for the car's width
    assert min(offsets) <= min(ctx.lanes) - ctx.lane_width / 2 + 1e-6
    assert max(offsets) >= max(ctx.lanes) + ctx.lane_width / 2 - 1e-6
    assert all(abs(c.z) < 0.25 for c in corners)  # flat: markings and kerbs only

    facades = bpy.data.objects.get("facades")
    if facades is None:
        return
    # no façade vertex inside any car's ground rectangle, and none within 2 m of the camera
    points = [(facades.matrix_world @ v.co) for v in facades.data.vertices]
    for car in ctx.cars:
        inverse = car.matrix_world.inverted()
        box = np.array([tuple(c) for c in car.bound_box])
        for p in points:
            local = inverse @ p
            inside = all(box[:, i].min() - 0.05 <= local[i] <= box[:, i].max() + 0.05 for i in range(2))
            assert not (inside and local.z < box[:, 2].max()), f"façade vertex {tuple(p)} inside {car.name}"
    assert min(math.hypot(p.x, p.y) for p in points) > 2.0


def _geometry(label_dir):
    """Per image, the cars' 3D size, location and yaw (what the road must not change)."""
    return {p.name: sorted(tuple(round(v, 2) for v in (*o.dimensions, *o.location, o.rotation_y))
                           for o in read_labels(p) if o.type == "Car")
            for p in sorted(label_dir.iterdir())}


def test_road_scene_adds_context_without_moving_any_car(tmp_path):
    base = generate(tmp_path / "base", 3, seed=4, settings=Settings(**TINY), progress=False)
    road = generate(tmp_path / "road", 3, seed=4, progress=False,
                    settings=Settings(**TINY, randomizers=(*DEFAULT_RANDOMIZERS, "road_scene")))
    assert base["generated"] == road["generated"] == 3
    base_cars, road_cars = _geometry(tmp_path / "base" / "label_2"), _geometry(tmp_path / "road" / "label_2")
    # façades may hide a car entirely (its label is then dropped); every car kept is unmoved
    for name, cars in road_cars.items():
        assert set(cars) <= set(base_cars[name]), name
    assert sum(map(len, road_cars.values())) >= sum(map(len, base_cars.values())) // 2
    for name in ("000000.png", "000001.png", "000002.png"):
        a = cv2.imread(str(tmp_path / "base" / "image_2" / name)).astype(int)
        b = cv2.imread(str(tmp_path / "road" / "image_2" / name)).astype(int)
        assert np.abs(a - b).mean() > 5, f"{name}: the road scene changed nothing visible"
