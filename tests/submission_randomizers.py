"""Randomizers that break one submission rule each, loaded as ``path/to/this.py:Name``."""

import os
from pathlib import Path

from drbench.generate.api import Randomizer


class PeeksAtKitti(Randomizer):
    """Reads a real KITTI image (here: its bytes, as a texture source would)."""

    name = "peeks_at_kitti"

    def sample(self, ctx, rng):
        root = Path(os.environ["DRBENCH_KITTI_ROOT"])
        (root / "training" / "image_2" / "000000.png").read_bytes()


class BiggerImages(Randomizer):
    """Renders above the profile's resolution."""

    name = "bigger_images"

    def sample(self, ctx, rng):
        ctx.scene.render.resolution_x *= 2


class Breaks(Randomizer):
    name = "breaks"

    def sample(self, ctx, rng):
        raise RuntimeError("deliberately broken")
