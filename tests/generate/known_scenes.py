"""Randomizers with a known answer, loaded by the worker as ``known_scenes:<name>``.

The worker imports this module by path (the tests put this folder on PYTHONPATH).
The default camera stays: 1.65 m high, pitch 0, KITTI's horizontal FOV.
"""

from drbench.generate import cars, materials
from drbench.generate.meshes import MeshBuilder

CENTRED = (0.0, 12.0)  # (x, depth): fully in view
EDGE_DEPTH = 20.0  # centred on the right image border: about half out of frame
HIDDEN = (-10.0, 25.0)  # behind a wall covering about its left third


def three_cars(ctx, rng):
    """A fully visible car, a car half out of frame, and a car partly behind a wall; all side-on."""
    ctx.add_car(cars.sample_shape(rng, "sedan"), *CENTRED, 0.0)
    ctx.add_car(cars.sample_shape(rng, "sedan"), ctx.half_width_at(EDGE_DEPTH), EDGE_DEPTH, 0.0)
    ctx.add_car(cars.sample_shape(rng, "sedan"), *HIDDEN, 0.0)
    right = -0.43 * 15.0  # the wall at 15 m ends where it hides roughly the left third of the far car
    wall = MeshBuilder()
    wall.box((right - 4.0, 15.0, 1.5), (8.0, 0.2, 3.0), 0)
    wall.to_object("wall", [materials.solid("wall", (0.2, 0.4, 0.2, 1.0))], ctx.collection)
