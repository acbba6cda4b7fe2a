"""The base scene every image starts from, and the context randomizers change.

The base is the fixed default of every axis (a KITTI camera, a grey ground, one
sun, grey paint, a grey background), so a randomizer left out of the settings is
an ablation, not a broken scene. Blender data of the previous image is purged
first, so one worker process can render many images without growing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import bpy
import numpy as np

from drbench.generate import cars, materials
from drbench.generate.settings import Settings

KITTI_CAMERA_HEIGHT = 1.65  # metres above the road (KITTI setup)
KITTI_HFOV = math.degrees(2 * math.atan(1242 / 2 / 721.5377))  # ≈ 81.4°, from KITTI's P2
GROUND_SIZE = 400.0

_DATA = ("objects", "meshes", "materials", "lights", "cameras", "worlds", "node_groups", "images")
LIBRARY = "drbench_library"  # data tagged so (imported car models, user texture images) outlives an image


@dataclass
class SceneContext:
    """What randomizers read and change. World frame: camera above the origin looking along +y, z up."""

    settings: Settings
    scene: bpy.types.Scene
    camera: bpy.types.Object
    ground: bpy.types.Object
    default_light: bpy.types.Object
    cars: list = field(default_factory=list)  # car i has pass_index i + 1
    props: list = field(default_factory=list)  # distractors and hard negatives
    footprints: list = field(default_factory=list)  # (x, y, radius) circles taken on the ground
    road_yaw: float = math.pi / 2  # direction of the lanes (radians from +x); default straight ahead
    lanes: tuple = ()  # lane centre offsets (metres, + to the right of the road direction), set by cars
    lane_width: float = 3.5
    car_materials: dict = field(default_factory=dict)  # shared non-body car materials by slot
    background: object = None  # H×W×3 sRGB in [0, 1], or a function returning one; None = plain grey
    image_effects: list = field(default_factory=list)  # uint8 H×W×3 -> same, pure numpy, run by the writer
    index: int | None = None  # the image's index in the run
    run_seed: int = 0  # the run's seed (texture banks are per run)

    @property
    def collection(self):
        return self.scene.collection

    @property
    def hfov(self) -> float:
        """Horizontal field of view in radians."""
        return self.camera.data.angle_x

    def half_width_at(self, depth: float) -> float:
        """Half the ground width the camera sees at ``depth`` metres ahead."""
        return depth * math.tan(self.hfov / 2)

    def fits(self, circles) -> bool:
        """Whether ground circles (x, y, radius) overlap nothing placed so far."""
        return all(math.hypot(x - fx, y - fy) >= r + fr
                   for x, y, r in circles for fx, fy, fr in self.footprints)

    def add_car(self, shape: cars.CarShape, x: float, y: float, yaw: float) -> bpy.types.Object:
        """Build a car standing at (x, y) on the ground, heading ``yaw`` (radians from +x)."""
        body = materials.solid(f"paint.{len(self.cars)}", (0.3, 0.3, 0.3, 1.0), roughness=0.3)
        slots = [body] + [self.car_materials[slot] for slot in range(cars.GLASS, cars.TAIL + 1)]
        obj = cars.build_car(shape, slots, self.collection, name=f"car.{len(self.cars)}")
        obj["drbench_class"] = "Car"
        obj["drbench_shape"] = f"procedural:{shape.kind}"
        return self.place_car(obj, x, y, yaw, shape.length, shape.width)

    def place_car(self, obj, x: float, y: float, yaw: float, length: float, width: float) -> bpy.types.Object:
        """Register a built car object (its origin at its bottom centre, front +x) standing at (x, y).

        Sets its pass index, which labels and the object-index pass rely on. The object
        may carry ``drbench_class`` (KITTI class, default Car), ``drbench_shape`` and
        ``drbench_body_slot`` (the material slot the textures randomizer repaints).
        """
        obj.location = (x, y, 0.0)
        obj.rotation_euler = (0.0, 0.0, yaw)
        obj.pass_index = len(self.cars) + 1
        self.cars.append(obj)
        self.footprints.extend(footprint(x, y, yaw, length, width))
        return obj


def footprint(x: float, y: float, yaw: float, length: float, width: float) -> list:
    """Circles covering a length×width rectangle on the ground, for cheap overlap tests."""
    radius = width / 2 + 0.15
    count = max(1, math.ceil(length / width))
    offsets = np.linspace(-(length / 2 - radius), length / 2 - radius, count) if count > 1 else [0.0]
    return [(x + t * math.cos(yaw), y + t * math.sin(yaw), radius) for t in offsets]


def _purge() -> None:
    for name in _DATA:
        doomed = [item for item in getattr(bpy.data, name)
                  if not item.get(LIBRARY) and (name != "images" or item.type == "IMAGE")]
        if doomed:
            bpy.data.batch_remove(doomed)


def _default_car_materials() -> dict:
    return {
        cars.GLASS: materials.solid("glass", (0.02, 0.03, 0.04, 1.0), roughness=0.05),
        cars.TYRE: materials.solid("tyre", (0.02, 0.02, 0.02, 1.0), roughness=0.8),
        cars.RIM: materials.solid("rim", (0.5, 0.5, 0.5, 1.0), roughness=0.3, metallic=1.0),
        cars.HEAD: materials.solid("headlight", (0.9, 0.9, 0.8, 1.0), roughness=0.1, emission=1.0),
        cars.TAIL: materials.solid("taillight", (0.6, 0.02, 0.01, 1.0), roughness=0.2, emission=0.5),
    }


def set_camera(camera: bpy.types.Object, height: float, pitch_deg: float, hfov_deg: float) -> None:
    """Place the camera above the origin looking along +y, tilted up by ``pitch_deg``."""
    camera.location = (0.0, 0.0, height)
    camera.rotation_euler = (math.radians(90.0 + pitch_deg), 0.0, 0.0)
    camera.data.sensor_fit = "HORIZONTAL"
    camera.data.angle_x = math.radians(hfov_deg)


def new_scene(settings: Settings) -> SceneContext:
    """Purge the previous image and build the fixed defaults."""
    _purge()
    scene = bpy.context.scene

    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    scene.collection.objects.link(camera)
    camera.data.clip_start, camera.data.clip_end = 0.1, 1000.0
    set_camera(camera, KITTI_CAMERA_HEIGHT, 0.0, KITTI_HFOV)
    scene.camera = camera

    ground_mesh = bpy.data.meshes.new("ground")
    half = GROUND_SIZE / 2
    ground_mesh.from_pydata([(-half, -20, 0), (half, -20, 0), (half, GROUND_SIZE, 0), (-half, GROUND_SIZE, 0)],
                            [], [(0, 1, 2, 3)])
    ground_mesh.materials.append(materials.solid("ground", (0.15, 0.15, 0.15, 1.0), roughness=0.9))
    ground = bpy.data.objects.new("ground", ground_mesh)
    scene.collection.objects.link(ground)

    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    scene.collection.objects.link(sun)
    sun.data.energy = 3.0
    sun.rotation_euler = (math.radians(40), 0.0, math.radians(30))

    world = bpy.data.worlds.new("world")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.5, 0.5, 0.5, 1.0)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.5
    scene.world = world

    return SceneContext(settings=settings, scene=scene, camera=camera, ground=ground,
                        default_light=sun, car_materials=_default_car_materials())
