"""A worked example of a user randomizer: flat billboards standing beside the road.

Use it from a config file (put it before ``textures`` so that they get random
textures too)::

    randomizers:
      - camera
      - cars
      - {name: drbench.generate.examples.billboards:Billboards, params: {max_count: 4}}
      - textures
      - lights
      - background

or, copied anywhere, as ``path/to/billboards.py:Billboards``.
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np

from drbench.generate import materials
from drbench.generate.api import Randomizer, Range
from drbench.generate.meshes import MeshBuilder
from drbench.generate.scene import footprint


class Billboards(Randomizer):
    """min_count–max_count boards (width × height metres) on posts, facing the road."""

    name = "billboards"  # also names its random stream: renaming it changes the draws
    min_count: Annotated[int, Range(0, 50)] = 1
    max_count: Annotated[int, Range(0, 50)] = 3
    min_width: Annotated[float, Range(0.5, 20.0)] = 2.0
    max_width: Annotated[float, Range(0.5, 20.0)] = 6.0
    min_height: Annotated[float, Range(0.5, 10.0)] = 1.0
    max_height: Annotated[float, Range(0.5, 10.0)] = 3.0

    def sample(self, ctx, rng: np.random.Generator) -> None:
        for number in range(int(rng.integers(self.min_count, self.max_count + 1))):
            width = rng.uniform(self.min_width, self.max_width)
            height = rng.uniform(self.min_height, self.max_height)
            lift = rng.uniform(0.5, 3.0)  # bottom edge above the ground
            board = MeshBuilder()
            board.box((0, 0, lift + height / 2), (width, 0.08, height), 0)
            for x in (-0.4 * width, 0.4 * width):
                board.box((x, 0, lift / 2), (0.1, 0.1, lift), 0)
            paint = materials.solid(f"billboard.{number}", materials.random_color(rng))
            obj = board.to_object(f"billboard.{number}", [paint], ctx.collection)
            for _attempt in range(20):  # a free spot on the ground, in view, beside the road
                depth = rng.uniform(8.0, 50.0)
                x = rng.choice([-1, 1]) * rng.uniform(0.6, 1.2) * ctx.half_width_at(depth)
                yaw = ctx.road_yaw + rng.normal(0, math.radians(10))
                circles = footprint(x, depth, yaw, width, 0.3)
                if ctx.fits(circles):
                    obj.location, obj.rotation_euler = (x, depth, 0.0), (0.0, 0.0, yaw)
                    ctx.footprints.extend(circles)
                    ctx.props.append(obj)  # the textures randomizer repaints ctx.props
                    break
            else:
                ctx.collection.objects.unlink(obj)
