"""The randomization axes: one function ``(ctx, rng) -> None`` per axis, in a plain registry.

Each randomizer draws only from the generator it is handed (its own stream,
see seeds.py), so switching one off for an ablation leaves every other axis's
draws unchanged. A settings entry ``"package.module:function"`` adds a custom
randomizer without touching this registry.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable

import bpy
import numpy as np
from mathutils import Vector

from drbench.generate import background as backgrounds
from drbench.generate import cars as car_models
from drbench.generate import materials, props
from drbench.generate.meshes import extent
from drbench.generate.scene import SceneContext, footprint, set_camera
from drbench.generate.seeds import randomizer_rng

Randomizer = Callable[[SceneContext, np.random.Generator], None]

MIN_DEPTH, MAX_DEPTH = 4.0, 60.0  # metres ahead of the camera where cars stand
LANE_SHARE = 0.65  # share of cars placed in lane-like rows


def camera(ctx: SceneContext, rng: np.random.Generator) -> None:
    """KITTI-like camera: 1.4–1.9 m high, pitch −4…+2°, horizontal FOV 75–90°."""
    set_camera(ctx.camera, rng.uniform(1.4, 1.9), rng.uniform(-4.0, 2.0), rng.uniform(75.0, 90.0))


def _depth(rng: np.random.Generator, low: float = MIN_DEPTH, high: float = MAX_DEPTH) -> float:
    """Distance ahead, biased towards near (KITTI's cars cluster within ~30 m)."""
    return low + (high - low) * rng.random() ** 1.5


def _lane_spot(ctx, rng, lanes: np.ndarray, depth: float) -> tuple[float, float, float]:
    """A point on a random lane at ``depth`` ahead, heading along (or against) the road."""
    road = ctx.road_yaw
    offset = float(rng.choice(lanes))
    along = depth / math.sin(road)  # road within ±15° of straight ahead
    x = along * math.cos(road) + offset * math.sin(road)
    y = along * math.sin(road) - offset * math.cos(road)
    yaw = road + (math.pi if rng.random() < 0.4 else 0.0) + rng.normal(0, math.radians(3))
    return x, y, yaw


def place_cars(ctx: SceneContext, rng: np.random.Generator) -> None:
    """min_cars–max_cars cars: most in lane-like rows along the road, the rest anywhere in view."""
    settings = ctx.settings
    ctx.road_yaw = math.pi / 2 + math.radians(rng.uniform(-15, 15))
    lane_width = rng.uniform(2.8, 3.8)
    lanes = (np.arange(int(rng.integers(2, 6))) - rng.uniform(0.5, 3.0)) * lane_width
    for _ in range(int(rng.integers(settings.min_cars, settings.max_cars + 1))):
        shape = car_models.sample_shape(rng)
        in_lane = rng.random() < LANE_SHARE
        for _attempt in range(20):
            depth = _depth(rng)
            if in_lane:
                x, y, yaw = _lane_spot(ctx, rng, lanes, depth)
            else:
                x, y, yaw = rng.uniform(-1.2, 1.2) * ctx.half_width_at(depth), depth, rng.uniform(-math.pi, math.pi)
            circles = footprint(x, y, yaw, shape.length, shape.width)
            # every vertex must stay well in front of the camera (labels need it)
            if y - math.hypot(shape.length, shape.width) / 2 >= 1.0 and ctx.fits(circles):
                ctx.add_car(shape, x, y, yaw)
                break


def hard_negatives(ctx: SceneContext, rng: np.random.Generator) -> None:
    """Walls, fences, hedges, poles and bins on the ground, mostly lined up along the road."""
    for number in range(int(rng.integers(1, ctx.settings.max_hard_negatives + 1))):
        kind = str(rng.choice(props.HARD_NEGATIVES))
        obj = props.hard_negative(kind, rng, materials.solid(f"prop.{kind}", materials.random_color(rng)),
                                  ctx.collection, name=f"negative.{number}")
        length, width, _height = extent(obj.data)
        for _attempt in range(20):
            depth = _depth(rng, 3.0, MAX_DEPTH)
            x = rng.uniform(-1.3, 1.3) * ctx.half_width_at(depth)
            yaw = ctx.road_yaw + rng.normal(0, 0.05) if rng.random() < 0.6 else rng.uniform(-math.pi, math.pi)
            circles = footprint(x, depth, yaw, max(length, width), min(length, width))
            if depth - max(length, width) / 2 >= 1.0 and ctx.fits(circles):
                obj.location, obj.rotation_euler = (x, depth, 0.0), (0.0, 0.0, yaw)
                ctx.footprints.extend(circles)
                ctx.props.append(obj)
                break
        else:
            bpy.data.objects.remove(obj)


def distractors(ctx: SceneContext, rng: np.random.Generator) -> None:
    """A few flying primitives of random size and attitude in view (the paper's distractors)."""
    for number in range(int(rng.integers(0, ctx.settings.max_distractors + 1))):
        kind = str(rng.choice(props.PRIMITIVES))
        obj = props.primitive(kind, rng.uniform(0.3, 2.5), materials.solid(f"prop.{kind}", materials.random_color(rng)),
                              ctx.collection, name=f"distractor.{number}")
        depth = _depth(rng, 5.0, 50.0)
        obj.location = (rng.uniform(-1, 1) * ctx.half_width_at(depth), depth, rng.uniform(0.2, 6.0))
        obj.rotation_euler = rng.uniform(-math.pi, math.pi, 3).tolist()
        ctx.props.append(obj)


def textures(ctx: SceneContext, rng: np.random.Generator) -> None:
    """Random procedural textures on car bodies, distractors, hard negatives and the ground; tinted glass."""
    for car in ctx.cars:
        car.data.materials[car_models.BODY] = materials.procedural(f"{car.name}.paint", rng)
    for obj in ctx.props:
        obj.data.materials[0] = materials.procedural(f"{obj.name}.texture", rng)
    ctx.ground.data.materials[0] = materials.procedural("ground.texture", rng)
    tint = np.array(materials.random_color(rng)[:3]) * rng.uniform(0.02, 0.15)
    glass = ctx.car_materials[car_models.GLASS].node_tree.nodes["Principled BSDF"]
    glass.inputs["Base Color"].default_value = (*tint, 1.0)
    glass.inputs["Roughness"].default_value = float(rng.uniform(0.0, 0.3))


def _light_color(rng) -> tuple[float, float, float]:
    """White mixed with a random hue: mostly plausible light, sometimes strongly coloured."""
    saturation = rng.uniform(0, 0.8) ** 2
    return tuple(float(c) for c in (1 - saturation) + saturation * np.array(materials.random_color(rng)[:3]))


def lights(ctx: SceneContext, rng: np.random.Generator) -> None:
    """1–4 lights of random type, colour, strength and placement, plus a random ambient sky."""
    bpy.data.objects.remove(ctx.default_light)
    for number in range(int(rng.integers(1, 5))):
        kind = str(rng.choice(["POINT", "SPOT", "SUN", "AREA"]))
        data = bpy.data.lights.new(f"light.{number}", kind)
        data.color = _light_color(rng)
        obj = bpy.data.objects.new(f"light.{number}", data)
        ctx.collection.objects.link(obj)
        if kind == "SUN":
            data.energy = rng.uniform(0.5, 8.0)
            data.angle = math.radians(rng.uniform(0.5, 15))
            obj.rotation_euler = (rng.uniform(0, math.radians(80)), 0.0, rng.uniform(-math.pi, math.pi))
            continue
        obj.location = (rng.uniform(-25, 25), rng.uniform(-5, 60), rng.uniform(2, 25))
        target = Vector((rng.uniform(-10, 10), rng.uniform(5, 40), 0.0))
        obj.rotation_euler = (target - obj.location).to_track_quat("-Z", "Y").to_euler()
        distance2 = max(float((target - obj.location).length_squared), 1.0)
        data.energy = distance2 * rng.uniform(5.0, 60.0)  # watts giving a similar irradiance at any range
        if kind == "SPOT":
            data.spot_size = math.radians(rng.uniform(30, 120))
        elif kind == "AREA":
            data.size = rng.uniform(1, 10)
    background_node = ctx.scene.world.node_tree.nodes["Background"]
    background_node.inputs["Color"].default_value = (*_light_color(rng), 1.0)
    background_node.inputs["Strength"].default_value = rng.uniform(0.05, 1.0)


def background(ctx: SceneContext, rng: np.random.Generator) -> None:
    """A procedural background image, composited behind the render (see background.py)."""
    ctx.background = backgrounds.procedural(rng, ctx.settings.height, ctx.settings.width)


REGISTRY: dict[str, Randomizer] = {
    "camera": camera,
    "cars": place_cars,
    "hard_negatives": hard_negatives,
    "distractors": distractors,
    "textures": textures,
    "lights": lights,
    "background": background,
}


def resolve(name: str) -> Randomizer:
    """A registry name, or ``package.module:function`` for a custom randomizer."""
    if name in REGISTRY:
        return REGISTRY[name]
    if ":" in name:
        module, _, function = name.partition(":")
        return getattr(importlib.import_module(module), function)
    raise KeyError(f"unknown randomizer {name!r} (known: {', '.join(REGISTRY)}, or module:function)")


def apply(ctx: SceneContext, image_seed: int) -> None:
    """Run the settings' randomizers in order, each with its own generator."""
    for name in ctx.settings.randomizers:
        resolve(name)(ctx, randomizer_rng(image_seed, name))
