"""User car models in Blender: import once per worker, normalise, instance per image.

A model file is imported on first use, its mesh parts joined into one mesh (one
object index, one set of vertices for the box), turned so its front is +x, its
bottom centre put at the origin and its length scaled to 1 (see car_library.py
for the class and front conventions). That unit mesh stays in memory across
images (tagged ``LIBRARY``, spared by the scene purge); each car in an image is
a copy scaled to a random real size of the model's class.

Material slots: parts named like wheels/tyres keep their materials; of the rest,
the slot covering the largest area is the "paint" slot that the textures
randomizer may recolour (``obj["drbench_body_slot"]``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import bmesh
import bpy
import numpy as np
from mathutils import Matrix

from drbench.generate.car_library import CarModel
from drbench.generate.scene import LIBRARY  # custom property marking data kept across images
_WHEEL = re.compile(r"wheel|tyre|tire|rim", re.IGNORECASE)


@dataclass
class LoadedModel:
    mesh: bpy.types.Mesh  # unit length, front +x, bottom centre at the origin
    body_slot: int
    size: np.ndarray  # length (1), width, height of the unit mesh


_CACHE: dict[str, LoadedModel] = {}


def tag(datablock) -> None:
    datablock[LIBRARY] = True
    datablock.use_fake_user = True


def _import(path: Path) -> list:
    """Import a model file; returns the new mesh objects (not linked to the scene for .blend)."""
    before = set(bpy.data.objects)
    suffix = path.suffix.lower()
    if suffix in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=str(path))
    elif suffix == ".obj":
        bpy.ops.wm.obj_import(filepath=str(path))
    elif suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    elif suffix == ".blend":
        with bpy.data.libraries.load(str(path), link=False) as (source, target):
            target.objects = list(source.objects)
    else:
        raise ValueError(f"unsupported car model format {path.suffix!r}: {path}")
    return [obj for obj in bpy.data.objects if obj not in before]


def _join(objects: list) -> tuple[bpy.types.Mesh, int]:
    """One mesh from all mesh parts (world transforms applied) and the index of its paint slot."""
    bm = bmesh.new()
    slots: list[tuple] = []  # (material, is_wheel)
    for obj in sorted((o for o in objects if o.type == "MESH"), key=lambda o: o.name):
        wheel = bool(_WHEEL.search(obj.name))
        part = obj.data.copy()
        part.transform(obj.matrix_world)
        remap = []
        for material in part.materials or [None]:
            key = (material, wheel)
            if key not in slots:
                slots.append(key)
            remap.append(slots.index(key))
        indices = np.zeros(len(part.polygons), np.int32)
        part.polygons.foreach_get("material_index", indices)
        part.polygons.foreach_set("material_index", np.asarray(remap, np.int32)[np.minimum(indices, len(remap) - 1)])
        bm.from_mesh(part)
        bpy.data.meshes.remove(part)
    if not slots:
        raise ValueError("the model has no mesh")
    mesh = bpy.data.meshes.new("model")
    bm.to_mesh(mesh)
    bm.free()
    for material, wheel in slots:
        if material is not None and wheel:  # a separate copy, so repainting the body leaves wheels alone
            material = material.copy()
        mesh.materials.append(material)
    areas = np.zeros(len(mesh.polygons))
    mesh.polygons.foreach_get("area", areas)
    indices = np.zeros(len(mesh.polygons), np.int32)
    mesh.polygons.foreach_get("material_index", indices)
    per_slot = np.bincount(indices, weights=areas, minlength=len(slots))
    per_slot[[i for i, (_, wheel) in enumerate(slots) if wheel]] = -1
    return mesh, int(np.argmax(per_slot))


def _coords(mesh) -> np.ndarray:
    coords = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", coords)
    return coords.reshape(-1, 3)


def load(model: CarModel) -> LoadedModel:
    """The normalised unit mesh of ``model`` (imported on first use in this process)."""
    cached = _CACHE.get(model.path)
    if cached is not None:
        return cached
    path = Path(model.path)
    objects = _import(path)
    try:
        mesh, body_slot = _join(objects)
    except ValueError as error:
        raise ValueError(f"car model {path}: {error}") from None
    finally:
        for obj in objects:
            bpy.data.objects.remove(obj)
    coords = _coords(mesh)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    forward = model.forward or ("-y" if hi[1] - lo[1] >= hi[0] - lo[0] else "+x")
    angle = {"+x": 0.0, "-y": math.pi / 2, "-x": math.pi, "+y": -math.pi / 2}[forward]
    mesh.transform(Matrix.Rotation(angle, 4, "Z"))
    coords = _coords(mesh)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    length = hi[0] - lo[0]
    if length <= 0:
        raise ValueError(f"car model {path}: zero length")
    mesh.transform(Matrix.Scale(1.0 / length, 4) @ Matrix.Translation((-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2])))
    mesh.name = f"model:{path.name}"
    tag(mesh)
    for material in mesh.materials:
        if material is not None:
            tag(material)
            if material.node_tree:
                for node in material.node_tree.nodes:
                    if node.type == "TEX_IMAGE" and node.image is not None:
                        tag(node.image)
    loaded = LoadedModel(mesh=mesh, body_slot=body_slot, size=(hi - lo) / length)
    _CACHE[model.path] = loaded
    return loaded


def sample_size(model: CarModel, rng: np.random.Generator) -> tuple[float, float, float]:
    """A random real (length, width, height) for one instance of ``model``."""
    loaded = load(model)
    size = model.size()
    length = float(rng.uniform(*size["length"]))
    width = float(rng.uniform(*size["width"]))
    height = min(float(loaded.size[2]) * length, size["max_height"])
    return length, width, height


def instance(model: CarModel, dims: tuple[float, float, float], collection, name: str) -> bpy.types.Object:
    """A car object: a copy of the model's unit mesh scaled to ``dims`` (length, width, height)."""
    loaded = load(model)
    mesh = loaded.mesh.copy()
    del mesh[LIBRARY]
    mesh.use_fake_user = False
    mesh.name = name
    length, width, height = dims
    mesh.transform(Matrix.Diagonal((length, width / loaded.size[1], height / loaded.size[2], 1.0)))
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    obj["drbench_body_slot"] = loaded.body_slot
    obj["drbench_class"] = model.cls
    obj["drbench_shape"] = f"model:{model.key}"
    return obj
