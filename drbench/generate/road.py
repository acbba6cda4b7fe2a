"""Road geometry for structured placement: asphalt, lane markings, kerbs and building rows.

Structured Domain Randomization (Prakash et al. 2019) keeps DR's random
appearance but puts cars in a plausible street: this module builds that street
around the lanes the ``cars`` randomizer already used (``ctx.lanes``), so cars
stand on lanes, between kerbs, with façades behind them. Built in the road's
own frame (x along the road, y to its left), then turned by the road's yaw.
"""

from __future__ import annotations

import math

import numpy as np

from drbench.generate import materials
from drbench.generate.meshes import MeshBuilder
from drbench.generate.scene import SceneContext, footprint

ROAD_START, ROAD_END = -10.0, 250.0  # metres along the road, behind and ahead of the camera
SEGMENT = 8.0  # kerb / sidewalk pieces, so a piece that would hit a car can be left out
ASPHALT, MARKING, KERB = 0, 1, 2


def to_world(ctx: SceneContext, along: float, offset: float) -> tuple[float, float]:
    """A road-frame point (``offset`` as in ``ctx.lanes``: + to the right) in world x, y."""
    yaw = ctx.road_yaw
    return (along * math.cos(yaw) + offset * math.sin(yaw), along * math.sin(yaw) - offset * math.cos(yaw))


def fits_box(ctx: SceneContext, along: float, offset: float, length: float, width: float,
             camera_clearance: float = 0.0) -> list | None:
    """The ground circles of a road-aligned box if it overlaps nothing placed (and keeps
    ``camera_clearance`` metres from the camera, which may stand beside the road), else None."""
    x, y = to_world(ctx, along, offset)
    circles = footprint(x, y, ctx.road_yaw, length, width)
    clear = all(math.hypot(cx, cy) >= r + camera_clearance for cx, cy, r in circles)
    return circles if clear and ctx.fits(circles) else None


def road_edges(ctx: SceneContext, shoulder: float) -> tuple[float, float]:
    """Right and left edge offsets of the carriageway: the outer lanes plus a shoulder."""
    half = ctx.lane_width / 2 + shoulder
    return min(ctx.lanes) - half, max(ctx.lanes) + half


def build_road(ctx: SceneContext, rng: np.random.Generator, name: str, *, shoulder: float,
               dash: float, gap: float, sidewalk: float, asphalt=None):
    """Asphalt strip, dashed lines between lanes, solid edge lines and raised sidewalks;
    ``asphalt`` (a material) replaces the plain dark grey."""
    builder = MeshBuilder()
    right, left = road_edges(ctx, shoulder)
    length = ROAD_END - ROAD_START
    middle = (ROAD_START + ROAD_END) / 2
    # local y is minus the lane offset (the road frame's y points left)
    builder.box((middle, -(left + right) / 2, 0.005), (length, left - right, 0.01), ASPHALT)
    line = rng.uniform(0.1, 0.2)
    for edge in (right + shoulder / 2, left - shoulder / 2):
        builder.box((middle, -edge, 0.012), (length, line, 0.004), MARKING)
    for a, b in zip(sorted(ctx.lanes), sorted(ctx.lanes)[1:]):
        start = ROAD_START + rng.uniform(0, dash + gap)
        for along in np.arange(start, ROAD_END, dash + gap):
            builder.box((along + dash / 2, -(a + b) / 2, 0.012), (dash, line, 0.004), MARKING)
    kerb_height = rng.uniform(0.08, 0.2)
    for side, edge in ((-1, right), (1, left)):
        centre = edge + side * sidewalk / 2
        for along in np.arange(ROAD_START, ROAD_END, SEGMENT):
            circles = fits_box(ctx, along + SEGMENT / 2, centre, SEGMENT, sidewalk)
            if circles is not None:
                builder.box((along + SEGMENT / 2, -centre, kerb_height / 2), (SEGMENT, sidewalk, kerb_height), KERB)
    grey = rng.uniform(0.02, 0.12)
    marking = (0.9, 0.9, 0.85, 1.0) if rng.random() < 0.8 else (0.9, 0.7, 0.1, 1.0)
    kerb = rng.uniform(0.25, 0.6)
    if asphalt is None:
        asphalt = materials.solid(f"{name}.asphalt", (grey, grey, grey * 1.05, 1.0), roughness=0.9)
    obj = builder.to_object(name, [asphalt,
                                   materials.solid(f"{name}.marking", marking, roughness=0.6),
                                   materials.solid(f"{name}.kerb", (kerb, kerb, kerb * 0.97, 1.0), roughness=0.8)],
                            ctx.collection)
    obj.rotation_euler = (0.0, 0.0, ctx.road_yaw)
    return obj


def _plain_facade(name: str, rng: np.random.Generator):
    return materials.solid(name, materials.random_color(rng), roughness=rng.uniform(0.4, 0.95))


def build_facades(ctx: SceneContext, rng: np.random.Generator, name: str, *, setback: float,
                  min_height: float, max_height: float, gap_share: float, palette: int,
                  facade=_plain_facade, sides=(-1, 1)):
    """Rows of box buildings along the road's ``sides`` (-1 right, 1 left), each clear of
    everything already placed; ``facade(name, rng)`` makes each of the ``palette`` materials."""
    builder = MeshBuilder()
    right, left = road_edges(ctx, 0.0)
    count = 0
    for side, edge in ((-1, right), (1, left)):
        if side not in sides:
            continue
        along = ROAD_START + rng.uniform(0, 10)
        while along < ROAD_END:
            length = rng.uniform(6, 30)
            depth = rng.uniform(6, 15)
            if rng.random() >= gap_share:
                offset = edge + side * (setback + rng.uniform(0, 2) + depth / 2)
                circles = fits_box(ctx, along + length / 2, offset, length, depth, camera_clearance=3.0)
                if circles is not None:
                    height = rng.uniform(min_height, max_height)
                    builder.box((along + length / 2, -offset, height / 2), (length, depth, height),
                                int(rng.integers(palette)))
                    ctx.footprints.extend(circles)
                    count += 1
            along += length + rng.uniform(0.5, 8)
    if count == 0:
        return None
    obj = builder.to_object(name, [facade(f"{name}.facade.{i}", rng) for i in range(palette)], ctx.collection)
    obj.rotation_euler = (0.0, 0.0, ctx.road_yaw)
    return obj
