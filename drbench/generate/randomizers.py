"""The built-in randomization axes (see api.py for the interface) and the loop that runs them.

Each randomizer draws only from the generator it is handed (its own stream,
see seeds.py), so switching one off for an ablation leaves every other axis's
draws unchanged. ``apply`` runs a settings' randomizers with a time limit each
and checks the scene after each one, so a randomizer that raises, hangs or
leaves invalid values (a NaN pose, negative light power, no car in view) fails
its image with an error that names it and the image.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import signal
from typing import Annotated

import bpy
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector
from pydantic import field_validator

from drbench.generate import background as backgrounds
from drbench.generate import car_library, clutter, hdri, imported, materials, props, road
from drbench.generate import cars as car_models
from drbench.generate.api import BUILTINS, Randomizer, RandomizerError, Range, instantiate, resolve
from drbench.generate.meshes import extent
from drbench.generate.scene import SceneContext, footprint, set_camera
from drbench.generate.seeds import bank_seed, randomizer_rng
from drbench.generate.sensor import SensorEffects

Depth = Annotated[float, Range(0.5, 1000.0)]
Share = Annotated[float, Range(0.0, 1.0)]
Count = Annotated[int, Range(0, 200)]


class Camera(Randomizer):
    """KITTI-like camera: height, pitch (degrees, + looks up) and horizontal field of view (degrees)."""

    min_height: Annotated[float, Range(0.2, 20.0)] = 1.4
    max_height: Annotated[float, Range(0.2, 20.0)] = 1.9
    min_pitch: Annotated[float, Range(-45.0, 45.0)] = -4.0
    max_pitch: Annotated[float, Range(-45.0, 45.0)] = 2.0
    min_hfov: Annotated[float, Range(10.0, 150.0)] = 75.0
    max_hfov: Annotated[float, Range(10.0, 150.0)] = 90.0

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        set_camera(ctx.camera, rng.uniform(self.min_height, self.max_height),
                   rng.uniform(self.min_pitch, self.max_pitch), rng.uniform(self.min_hfov, self.max_hfov))


def _depth(rng: np.random.Generator, low: float, high: float) -> float:
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


def _draw_lanes(ctx, rng: np.random.Generator) -> np.ndarray:
    """2–5 lanes of one random width, the camera among or beside them; kept on ``ctx`` for the road."""
    lane_width = rng.uniform(2.8, 3.8)
    lanes = (np.arange(int(rng.integers(2, 6))) - rng.uniform(0.5, 3.0)) * lane_width
    ctx.lanes, ctx.lane_width = tuple(float(v) for v in lanes), float(lane_width)
    return lanes


@functools.lru_cache(maxsize=8)
def _models(folder: str) -> list:
    return car_library.find_models(folder)


class Cars(Randomizer):
    """min_cars–max_cars cars (None: the settings' values): most in lane-like rows along the road,
    the rest anywhere in view. With ``settings.car_models_dir``, a share ``model_ratio`` (None: the
    settings' ``car_model_ratio``) are user models of their own class, the rest procedural."""

    min_cars: Count | None = None
    max_cars: Count | None = None
    lane_share: Share = 0.65
    min_depth: Depth = 4.0
    max_depth: Depth = 60.0
    model_ratio: Share | None = None

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        settings = ctx.settings
        low = settings.min_cars if self.min_cars is None else self.min_cars
        high = settings.max_cars if self.max_cars is None else self.max_cars
        if low > high:
            raise ValueError(f"min_cars {low} > max_cars {high}")
        models = _models(settings.car_models_dir) if settings.car_models_dir else []
        ratio = settings.car_model_ratio if self.model_ratio is None else self.model_ratio
        ctx.road_yaw = math.pi / 2 + math.radians(rng.uniform(-15, 15))
        lanes = _draw_lanes(ctx, rng)
        for _ in range(int(rng.integers(low, high + 1))):
            model = models[int(rng.integers(len(models)))] if models and rng.random() < ratio else None
            if model is None:
                shape = car_models.sample_shape(rng)
                length, width = shape.length, shape.width
            else:
                length, width, _height = imported.sample_size(model, rng)
            in_lane = rng.random() < self.lane_share
            for _attempt in range(20):
                depth = _depth(rng, self.min_depth, self.max_depth)
                if in_lane:
                    x, y, yaw = _lane_spot(ctx, rng, lanes, depth)
                else:
                    x, y = rng.uniform(-1.2, 1.2) * ctx.half_width_at(depth), depth
                    yaw = rng.uniform(-math.pi, math.pi)
                if not ctx.cars and abs(x) > ctx.half_width_at(y):  # the first car's centre is in view
                    continue
                circles = footprint(x, y, yaw, length, width)
                # every vertex must stay well in front of the camera (labels need it)
                if y - math.hypot(length, width) / 2 >= 1.0 and ctx.fits(circles):
                    if model is None:
                        ctx.add_car(shape, x, y, yaw)
                    else:
                        obj = imported.instance(model, (length, width, _height), ctx.collection,
                                                name=f"car.{len(ctx.cars)}")
                        ctx.place_car(obj, x, y, yaw, length, width)
                    break


class HardNegatives(Randomizer):
    """Walls, fences, hedges, poles and bins on the ground, mostly lined up along the road."""

    min_count: Count = 1
    max_count: Count | None = None  # None: settings.max_hard_negatives
    along_road_share: Share = 0.6

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        high = ctx.settings.max_hard_negatives if self.max_count is None else self.max_count
        for number in range(int(rng.integers(min(self.min_count, high), high + 1))):
            kind = str(rng.choice(props.HARD_NEGATIVES))
            obj = props.hard_negative(kind, rng, materials.solid(f"prop.{kind}", materials.random_color(rng)),
                                      ctx.collection, name=f"negative.{number}")
            length, width, _height = extent(obj.data)
            for _attempt in range(20):
                depth = _depth(rng, 3.0, 60.0)
                x = rng.uniform(-1.3, 1.3) * ctx.half_width_at(depth)
                yaw = (ctx.road_yaw + rng.normal(0, 0.05) if rng.random() < self.along_road_share
                       else rng.uniform(-math.pi, math.pi))
                circles = footprint(x, depth, yaw, max(length, width), min(length, width))
                if depth - max(length, width) / 2 >= 1.0 and ctx.fits(circles):
                    obj.location, obj.rotation_euler = (x, depth, 0.0), (0.0, 0.0, yaw)
                    ctx.footprints.extend(circles)
                    ctx.props.append(obj)
                    break
            else:
                bpy.data.objects.remove(obj)


class Distractors(Randomizer):
    """A few flying primitives of random size and attitude in view (the paper's distractors)."""

    min_count: Count = 0
    max_count: Count | None = None  # None: settings.max_distractors
    min_size: Annotated[float, Range(0.01, 50.0)] = 0.3
    max_size: Annotated[float, Range(0.01, 50.0)] = 2.5

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        high = ctx.settings.max_distractors if self.max_count is None else self.max_count
        for number in range(int(rng.integers(min(self.min_count, high), high + 1))):
            kind = str(rng.choice(props.PRIMITIVES))
            obj = props.primitive(kind, rng.uniform(self.min_size, self.max_size),
                                  materials.solid(f"prop.{kind}", materials.random_color(rng)),
                                  ctx.collection, name=f"distractor.{number}")
            depth = _depth(rng, 5.0, 50.0)
            obj.location = (rng.uniform(-1, 1) * ctx.half_width_at(depth), depth, rng.uniform(0.2, 6.0))
            obj.rotation_euler = rng.uniform(-math.pi, math.pi, 3).tolist()
            ctx.props.append(obj)


class Textures(Randomizer):
    """Random textures on car paint, distractors, hard negatives and the ground; tinted glass.

    Procedural textures come from a bank of ``settings.texture_bank`` distinct ones when set
    (the paper's 8K vs 4K comparison); with ``settings.texture_dir`` a share ``image_share``
    of materials shows a random user image instead. Imported models keep their own texture
    detail under a random tint, except a share ``model_repaint_share`` repainted outright.
    """

    image_share: Share = 0.5
    model_repaint_share: Share = 0.3

    def _texture(self, ctx: SceneContext, name: str, rng: np.random.Generator):
        if ctx.settings.texture_dir and rng.random() < self.image_share:
            files = backgrounds.image_files(ctx.settings.texture_dir)
            return materials.image_texture(name, files[int(rng.integers(len(files)))], rng)
        bank = ctx.settings.active_texture_bank
        source = rng if bank <= 0 else np.random.default_rng(bank_seed(ctx.run_seed, "texture",
                                                                       int(rng.integers(bank))))
        return materials.procedural(name, source)

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        for car in ctx.cars:
            slot = int(car.get("drbench_body_slot", car_models.BODY))
            if car.get("drbench_shape", "procedural").startswith("model:") and rng.random() >= self.model_repaint_share:
                car.data.materials[slot] = materials.tinted(car.data.materials[slot], f"{car.name}.paint", rng)
            else:
                car.data.materials[slot] = self._texture(ctx, f"{car.name}.paint", rng)
        for obj in ctx.props:
            obj.data.materials[0] = self._texture(ctx, f"{obj.name}.texture", rng)
        ctx.ground.data.materials[0] = self._texture(ctx, "ground.texture", rng)
        tint = np.array(materials.random_color(rng)[:3]) * rng.uniform(0.02, 0.15)
        glass = ctx.car_materials[car_models.GLASS].node_tree.nodes["Principled BSDF"]
        glass.inputs["Base Color"].default_value = (*tint, 1.0)
        glass.inputs["Roughness"].default_value = float(rng.uniform(0.0, 0.3))


def _light_color(rng, max_saturation: float) -> tuple[float, float, float]:
    """White mixed with a random hue: mostly plausible light, sometimes strongly coloured."""
    saturation = rng.uniform(0, max_saturation) ** 2
    return tuple(float(c) for c in (1 - saturation) + saturation * np.array(materials.random_color(rng)[:3]))


class Lights(Randomizer):
    """min_lights–max_lights lights of random type, colour, strength and placement, plus a random sky."""

    min_lights: Annotated[int, Range(0, 32)] = 1
    max_lights: Annotated[int, Range(0, 32)] = 4
    max_saturation: Share = 0.8
    min_sky: Annotated[float, Range(0.0, 100.0)] = 0.05
    max_sky: Annotated[float, Range(0.0, 100.0)] = 1.0

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        bpy.data.objects.remove(ctx.default_light)
        for number in range(int(rng.integers(self.min_lights, self.max_lights + 1))):
            kind = str(rng.choice(["POINT", "SPOT", "SUN", "AREA"]))
            data = bpy.data.lights.new(f"light.{number}", kind)
            data.color = _light_color(rng, self.max_saturation)
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
        background_node.inputs["Color"].default_value = (*_light_color(rng, self.max_saturation), 1.0)
        background_node.inputs["Strength"].default_value = rng.uniform(self.min_sky, self.max_sky)


class Background(Randomizer):
    """A background image composited behind the render: procedural (background.py), or with
    ``settings.background_dir`` a random crop of a user image for a share ``image_share``."""

    image_share: Share = 0.5

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        # ctx.background may be an array or a function returning one: drawing it is pure numpy
        # on this randomizer's own generator, so it is left to the writer thread, which runs
        # while the worker builds the next scene
        height, width = ctx.settings.height, ctx.settings.width
        if ctx.settings.background_dir and rng.random() < self.image_share:
            files = backgrounds.image_files(ctx.settings.background_dir)
            ctx.background = functools.partial(backgrounds.from_image, files[int(rng.integers(len(files)))],
                                               rng, height, width)
        else:
            ctx.background = functools.partial(backgrounds.procedural, rng, height, width)


class RoadScene(Randomizer):
    """Structured placement (Prakash et al. 2019, Structured Domain Randomization): a street
    around the lanes the cars stand on — asphalt, dashed and edge lines, kerbed sidewalks and
    rows of building façades — so cars appear in road context, not floating in clutter. Add it
    after ``cars`` (it reads their lanes; without them it draws its own)."""

    min_shoulder: Annotated[float, Range(0.0, 5.0)] = 0.3
    max_shoulder: Annotated[float, Range(0.0, 5.0)] = 1.5
    min_sidewalk: Annotated[float, Range(0.5, 10.0)] = 1.5
    max_sidewalk: Annotated[float, Range(0.5, 10.0)] = 4.0
    min_building_height: Annotated[float, Range(1.0, 100.0)] = 3.0
    max_building_height: Annotated[float, Range(1.0, 100.0)] = 25.0
    building_gap_share: Share = 0.25
    facade_colours: Annotated[int, Range(1, 16)] = 4

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        if not ctx.lanes:
            _draw_lanes(ctx, rng)
        shoulder = rng.uniform(self.min_shoulder, self.max_shoulder)
        sidewalk = rng.uniform(self.min_sidewalk, self.max_sidewalk)
        road.build_road(ctx, rng, "road", shoulder=shoulder, dash=rng.uniform(2.0, 4.0),
                        gap=rng.uniform(4.0, 10.0), sidewalk=sidewalk)
        road.build_facades(ctx, rng, "facades", setback=shoulder + sidewalk + 0.5,
                           min_height=self.min_building_height, max_height=self.max_building_height,
                           gap_share=self.building_gap_share, palette=self.facade_colours)


class Hdri(Randomizer):
    """One of Blender's own photographic HDRIs (hdri.py; ``maps`` by name, empty: all) as the
    world light, at a random turn about the vertical, a small tilt (±``max_tilt`` degrees) and a
    mean radiance between ``min_strength`` and ``max_strength``; for a share ``background_share``
    of images also drawn behind the scene as the camera sees it, so that real trees, buildings
    and sky stand behind the cars. Add it after ``lights`` and ``background`` (it replaces their
    sky, the lamps stay, and in that share their backdrop) and after anything that moves the
    camera (the backdrop is drawn for the camera as it is here)."""

    maps: tuple[str, ...] = ()
    min_strength: Annotated[float, Range(0.0, 20.0)] = 0.3
    max_strength: Annotated[float, Range(0.0, 20.0)] = 1.5
    max_tilt: Annotated[float, Range(0.0, 30.0)] = 3.0
    background_share: Share = 0.8

    @field_validator("maps")
    @classmethod
    def _known_maps(cls, maps: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(maps) - set(hdri.hdri_files()))
        if unknown:
            raise ValueError(f"unknown maps {unknown} (Blender ships: {', '.join(hdri.hdri_files())})")
        return maps

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        files = hdri.hdri_files()
        names = list(self.maps) or list(files)
        path = files[names[int(rng.integers(len(names)))]]
        rotation = (math.radians(rng.uniform(-self.max_tilt, self.max_tilt)), 0.0, rng.uniform(-math.pi, math.pi))
        equirect, mean = hdri.load(path)
        strength = rng.uniform(self.min_strength, self.max_strength) / mean
        hdri.world_nodes(ctx.scene.world, path, rotation, strength)
        if rng.random() < self.background_share:
            lookup = hdri.lookup_matrix(ctx.camera.rotation_euler, rotation)
            ctx.background = functools.partial(hdri.view, equirect, lookup, ctx.hfov, strength,
                                               ctx.settings.height, ctx.settings.width)


class Clutter(Randomizer):
    """Natural clutter at ground level as hard negatives (clutter.py): for a share ``road_share``
    an asphalt road with lane markings and kerbs around the cars' lanes; per side of the road,
    with these shares, a row of buildings with window grids and shop fronts, a hedge, a row of
    trees and a tree line farther back; and up to ``max_bushes`` bushes and ``max_trees`` single
    trees on free ground in view. Nothing is labelled; everything keeps clear of the cars. Add it
    after ``cars``; use it instead of ``road_scene`` (both lay a road)."""

    road_share: Share = 0.7
    building_share: Share = 0.4
    hedge_share: Share = 0.35
    tree_row_share: Share = 0.4
    tree_line_share: Share = 0.5
    max_bushes: Count = 6
    max_trees: Count = 3
    min_building_height: Annotated[float, Range(1.0, 100.0)] = 3.0
    max_building_height: Annotated[float, Range(1.0, 100.0)] = 20.0
    random_texture_share: Share = 0.15

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        if not ctx.lanes:
            _draw_lanes(ctx, rng)
        shoulder, sidewalk = rng.uniform(0.3, 1.5), rng.uniform(1.0, 4.0)
        if rng.random() < self.road_share:
            road.build_road(ctx, rng, "clutter.road", shoulder=shoulder, dash=rng.uniform(2.0, 4.0),
                            gap=rng.uniform(4.0, 10.0), sidewalk=sidewalk,
                            asphalt=clutter.asphalt("clutter.road.asphalt", rng))
        sides = tuple(side for side in (-1, 1) if rng.random() < self.building_share)
        if sides:
            road.build_facades(ctx, rng, "clutter.buildings", setback=shoulder + sidewalk + rng.uniform(0.5, 5.0),
                               min_height=self.min_building_height, max_height=self.max_building_height,
                               gap_share=0.15, palette=3, facade=clutter.facade, sides=sides)
        clutter.build_vegetation(ctx, rng, "clutter.vegetation", verge=shoulder + sidewalk,
                                 hedge_share=self.hedge_share, tree_row_share=self.tree_row_share,
                                 tree_line_share=self.tree_line_share,
                                 bushes=int(rng.integers(self.max_bushes + 1)),
                                 trees=int(rng.integers(self.max_trees + 1)),
                                 random_texture_share=self.random_texture_share)


class Sensor(Randomizer):
    """A random dash-camera sensor: exposure and white balance errors, vignetting, lens blur,
    chromatic aberration, read noise (applied to the finished image, see sensor.py) and, for a
    share ``dof_share`` of images, Cycles depth of field focused on a random car."""

    max_exposure_stops: Annotated[float, Range(0.0, 4.0)] = 0.8
    max_white_balance: Annotated[float, Range(0.0, 0.5)] = 0.12
    max_vignetting: Annotated[float, Range(0.0, 1.0)] = 0.5
    max_blur_px: Annotated[float, Range(0.0, 5.0)] = 1.2
    aberration_share: Share = 0.3
    max_noise: Annotated[float, Range(0.0, 30.0)] = 6.0
    dof_share: Share = 0.2
    min_fstop: Annotated[float, Range(0.5, 64.0)] = 2.0

    def sample(self, ctx: SceneContext, rng: np.random.Generator) -> None:
        effects = SensorEffects(
            exposure_gain=float(2.0 ** rng.uniform(-self.max_exposure_stops, self.max_exposure_stops)),
            white_balance=tuple(float(g) for g in 1.0 + rng.uniform(-self.max_white_balance,
                                                                     self.max_white_balance, 3)),
            vignetting=float(rng.uniform(0, self.max_vignetting)),
            blur_sigma=float(rng.uniform(0, self.max_blur_px)),
            aberration_px=int(rng.random() < self.aberration_share),
            noise_sigma=float(rng.uniform(0, self.max_noise)),
            noise_seed=int(rng.integers(2**63)),
        )
        ctx.image_effects.append(effects.apply)
        if ctx.cars and rng.random() < self.dof_share:
            dof = ctx.camera.data.dof
            dof.use_dof = True
            target = ctx.cars[int(rng.integers(len(ctx.cars)))].location
            dof.focus_distance = max(0.5, float((target - ctx.camera.location).length))
            dof.aperture_fstop = float(self.min_fstop * 2.0 ** rng.uniform(0, 3))


REGISTRY: dict[str, type[Randomizer]] = {name: resolve(name) for name in BUILTINS}


# --- running them ---------------------------------------------------------------------------


class _Timeout(BaseException):  # not an Exception: a randomizer's own ``except Exception`` must not swallow it
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise _Timeout in this (main) thread after ``seconds`` (Python code only; the parent's
    own timeout catches a hang inside native code)."""
    def alarm(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _finite(values) -> bool:
    return all(math.isfinite(float(v)) for v in values)


def invalid_values(ctx: SceneContext) -> str | None:
    """The first invalid value in the scene, described, or None."""
    for obj in ctx.scene.objects:
        for attribute in ("location", "rotation_euler", "scale"):
            if not _finite(getattr(obj, attribute)):
                return f"object {obj.name!r} has a non-finite {attribute} {tuple(getattr(obj, attribute))}"
        if obj.type == "LIGHT":
            light = obj.data
            if not math.isfinite(light.energy) or light.energy < 0:
                return f"light {obj.name!r} has invalid power {light.energy} (must be finite and >= 0)"
            if not _finite(light.color) or min(light.color) < 0:
                return f"light {obj.name!r} has invalid colour {tuple(light.color)}"
    angle = ctx.camera.data.angle_x
    if not math.isfinite(angle) or not 0 < angle < math.pi:
        return f"camera field of view {angle} rad is not in (0, pi)"
    sky = ctx.scene.world.node_tree.nodes["Background"].inputs["Strength"].default_value
    if not math.isfinite(sky) or sky < 0:
        return f"sky strength {sky} (must be finite and >= 0)"
    if ctx.background is not None and not callable(ctx.background):
        return check_background(ctx.background, ctx.settings.height, ctx.settings.width)
    return None


def check_background(background, height: int, width: int) -> str | None:
    """What is wrong with a background image (H×W×3, finite), or None."""
    if getattr(background, "shape", None) != (height, width, 3):
        return f"background has shape {getattr(background, 'shape', None)}, expected {(height, width, 3)}"
    if not np.isfinite(background).all():
        return "background has non-finite pixels"
    return None


def cars_in_view(ctx: SceneContext) -> int:
    """Cars whose bounding box projects (at least partly) into the image, in front of the camera."""
    bpy.context.view_layer.update()
    count = 0
    for car in ctx.cars:
        corners = [world_to_camera_view(ctx.scene, ctx.camera, car.matrix_world @ Vector(c)) for c in car.bound_box]
        front = [c for c in corners if c.z > 0]
        if len(front) < len(corners):
            continue
        xs, ys = [c.x for c in front], [c.y for c in front]
        if max(xs) > 0 and min(xs) < 1 and max(ys) > 0 and min(ys) < 1:
            count += 1
    return count


def _render_budget(ctx: SceneContext) -> dict:
    """The render settings no randomizer may change (they are the run's, i.e. the profile's)."""
    render = ctx.scene.render
    return {"width": render.resolution_x, "height": render.resolution_y, "samples": ctx.scene.cycles.samples}


def _budget_change(before: dict, after: dict) -> str | None:
    return next((f"render setting {key} changed from {before[key]} to {after[key]}"
                 for key in before if after[key] != before[key]), None)


def _pose(ctx: SceneContext) -> tuple:
    return (tuple((tuple(c.location), tuple(c.rotation_euler)) for c in ctx.cars),
            tuple(ctx.camera.location), tuple(ctx.camera.rotation_euler), ctx.camera.data.angle_x)


@functools.lru_cache(maxsize=16)
def _bound(entries_json: str) -> list:
    return instantiate(json.loads(entries_json))


def bound_randomizers(settings) -> list:
    """(stream name, validated instance) for the settings' active randomizers (cached)."""
    return _bound(json.dumps(list(settings.active_randomizers), sort_keys=True))


def apply(ctx: SceneContext, image_seed: int, index: int | None = None, progress=None) -> None:
    """Run the settings' randomizers in order, each with its own generator, time limit and checks.

    ``progress(stage)``, when given, is told ``"randomizer <name>"`` before each one.
    """
    limit = ctx.settings.randomizer_timeout
    moved_cars = None
    budget = _render_budget(ctx)
    for stream, instance in bound_randomizers(ctx.settings):
        if progress:
            progress(f"randomizer {stream!r}")
        before = _pose(ctx)
        try:
            with _time_limit(limit):
                instance.sample(ctx, randomizer_rng(image_seed, stream))
        except _Timeout:
            raise RandomizerError(stream, index, f"still running after {limit:g} s (hung?)") from None
        except RandomizerError:
            raise
        except Exception as error:
            raise RandomizerError(stream, index, f"raised {type(error).__name__}: {error}") from error
        problem = invalid_values(ctx) or _budget_change(budget, _render_budget(ctx))
        if problem:
            raise RandomizerError(stream, index, f"left an invalid value: {problem}")
        if _pose(ctx) != before:
            moved_cars = stream
    if ctx.settings.min_cars >= 1 and cars_in_view(ctx) == 0:
        raise RandomizerError(moved_cars or "(none placed a car)", index,
                              f"no car in view ({len(ctx.cars)} placed; settings.min_cars = "
                              f"{ctx.settings.min_cars}; set it to 0 to allow images without cars)")
