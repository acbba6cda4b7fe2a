"""The clutter randomizer: natural hard negatives (trees, hedges, façades, asphalt) built in-process,
then real tiny renders whose labels hold only the cars."""

import numpy as np
import pytest

from drbench.data.kitti import read_labels
from drbench.generate import Settings, generate
from drbench.generate.settings import DEFAULT_RANDOMIZERS

pytestmark = pytest.mark.slow

TINY = dict(width=64, height=32, max_cars=4, max_distractors=2, max_hard_negatives=2)
EVERYTHING = {"name": "clutter", "params": {"road_share": 1.0, "building_share": 1.0, "hedge_share": 1.0,
                                            "tree_row_share": 1.0, "tree_line_share": 1.0}}
KINDS = ("clutter.road", "clutter.buildings", "clutter.vegetation")


def _built_scene(seed: int, randomizers):
    from drbench.generate import randomizers as axes
    from drbench.generate.scene import new_scene

    ctx = new_scene(Settings(**TINY, randomizers=tuple(randomizers)))
    axes.apply(ctx, image_seed=seed, index=seed)
    return ctx


def _poses(ctx):
    return [(tuple(round(v, 6) for v in car.location), round(car.rotation_euler.z, 6)) for car in ctx.cars]


@pytest.mark.parametrize("seed", range(3))
def test_clutter_builds_every_kind_clear_of_the_cars_and_moves_none(seed):
    cars = _poses(_built_scene(seed, ["camera", "cars"]))
    ctx = _built_scene(seed, ["camera", "cars", EVERYTHING])
    import bpy

    assert _poses(ctx) == cars  # its own random stream: the cars are where they were
    for name in KINDS:
        obj = bpy.data.objects[name]
        assert obj.pass_index == 0 and obj not in ctx.cars  # never in the index pass, so never labelled
    vegetation = bpy.data.objects["clutter.vegetation"]
    assert len(vegetation.data.polygons) > 500  # rows of trees and hedges, not a token bush
    assert [m.name for m in vegetation.data.materials] == [
        "clutter.vegetation.foliage.0", "clutter.vegetation.foliage.1", "clutter.vegetation.foliage.2",
        "clutter.vegetation.bark"]
    bpy.context.view_layer.update()
    points = np.array([tuple(vegetation.matrix_world @ v.co) for v in vegetation.data.vertices])
    for car in ctx.cars:  # no leaf or trunk inside a car's box
        local = (np.array(car.matrix_world.inverted()) @ np.c_[points, np.ones(len(points))].T).T[:, :3]
        box = np.array([tuple(c) for c in car.bound_box])
        inside = np.all((local >= box.min(axis=0) - 0.05) & (local <= box.max(axis=0) + 0.05), axis=1)
        assert not inside.any(), f"vegetation inside {car.name}"
    facades = bpy.data.objects["clutter.buildings"].data.materials
    assert all(any(n.bl_idname == "ShaderNodeTexWhiteNoise" for n in m.node_tree.nodes) for m in facades)


def _geometry(label_dir):
    return {p.name: sorted(tuple(round(v, 2) for v in (*o.dimensions, *o.location, o.rotation_y))
                           for o in read_labels(p)) for p in sorted(label_dir.iterdir())}


def test_rendered_clutter_changes_pixels_but_labels_hold_only_the_cars(tmp_path):
    base = generate(tmp_path / "base", 2, seed=2, settings=Settings(**TINY), progress=False)
    with_clutter = Settings(**TINY, randomizers=(*DEFAULT_RANDOMIZERS, EVERYTHING))
    runs = [generate(tmp_path / run, 2, seed=2, settings=with_clutter, progress=False) for run in "ab"]
    assert base["generated"] == runs[0]["generated"] == 2, runs[0]["failed"]
    base_cars, clutter_cars = _geometry(tmp_path / "base" / "label_2"), _geometry(tmp_path / "a" / "label_2")
    for name, cars in clutter_cars.items():
        # every label is one of the base image's cars (clutter may hide one; it adds none)
        assert set(cars) <= set(base_cars[name]), name
        assert all(o.type == "Car" for o in read_labels(tmp_path / "a" / "label_2" / name))
    for name in ("000000.png", "000001.png"):
        a, b, plain = ((tmp_path / run / "image_2" / name).read_bytes() for run in ("a", "b", "base"))
        assert a == b and a != plain
