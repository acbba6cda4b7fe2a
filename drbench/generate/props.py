"""Non-car geometry: flying distractor primitives and ground-level hard negatives.

Flying distractors are the paper's; the ground-level ones (walls, fences, hedges,
poles, bins) are here because a DR-trained detector's false positives on real
KITTI sat on exactly such box-like street furniture (field notes, prototype).
Every builder returns one object whose origin is at its bottom centre.
"""

from __future__ import annotations

import numpy as np

from drbench.generate.meshes import MeshBuilder

PRIMITIVES = ("cube", "sphere", "cone", "cylinder", "torus")
HARD_NEGATIVES = ("wall", "fence", "hedge", "pole", "bin")


def primitive(kind: str, size: float, material, collection, name: str):
    """A flying primitive about ``size`` metres across."""
    builder = MeshBuilder()
    half = size / 2
    centre = (0.0, 0.0, half)
    if kind == "cube":
        builder.box(centre, (size, size, size), 0)
    elif kind == "sphere":
        builder.sphere(centre, half, 0)
    elif kind == "cone":
        builder.cylinder(centre, half, size, 0, radius_top=0.0)
    elif kind == "cylinder":
        builder.cylinder(centre, half, size, 0)
    elif kind == "torus":
        builder.torus(centre, 0.7 * half, 0.3 * half, 0)
    else:
        raise ValueError(f"unknown primitive {kind!r} (known: {', '.join(PRIMITIVES)})")
    return builder.to_object(name, [material], collection)


def hard_negative(kind: str, rng: np.random.Generator, material, collection, name: str):
    """A street-furniture-like object with random plausible dimensions; its long axis is x."""
    builder = MeshBuilder()
    if kind == "wall":
        length, height, depth = rng.uniform(3, 20), rng.uniform(0.8, 3.0), rng.uniform(0.15, 0.4)
        builder.box((0, 0, height / 2), (length, depth, height), 0)
    elif kind == "hedge":
        length, height, depth = rng.uniform(1.5, 10), rng.uniform(0.8, 2.0), rng.uniform(0.6, 1.5)
        builder.box((0, 0, height / 2), (length, depth, height), 0, bevel=0.2, segments=2)
    elif kind == "fence":
        length, height = rng.uniform(3, 15), rng.uniform(0.8, 2.0)
        posts = max(2, int(length / rng.uniform(1.5, 3.0)) + 1)
        post = rng.uniform(0.05, 0.15)
        for x in np.linspace(-length / 2, length / 2, posts):
            builder.box((x, 0, height / 2), (post, post, height), 0)
        for z in rng.uniform(0.2, 0.95, int(rng.integers(1, 4))) * height:
            builder.box((0, 0, z), (length, 0.04, rng.uniform(0.05, 0.3)), 0)
    elif kind == "pole":
        height = rng.uniform(2.5, 8.0)
        builder.cylinder((0, 0, height / 2), rng.uniform(0.04, 0.15), height, 0, segments=10)
    elif kind == "bin":
        height = rng.uniform(0.8, 1.3)
        if rng.random() < 0.5:
            builder.cylinder((0, 0, height / 2), rng.uniform(0.25, 0.4), height, 0, segments=14)
        else:
            width = rng.uniform(0.5, 1.2)
            builder.box((0, 0, height / 2), (width, rng.uniform(0.5, 0.8), height), 0, bevel=0.03)
    else:
        raise ValueError(f"unknown hard negative {kind!r} (known: {', '.join(HARD_NEGATIVES)})")
    return builder.to_object(name, [material], collection)
