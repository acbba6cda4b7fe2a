"""Blender's own photographic HDRIs as world light and as the visible background.

The bpy wheel ships eight CC0 equirectangular panoramas (forest, city, courtyard,
sunrise, sunset, night, interior, studio; 1024×512) for its look-dev viewport.
They are the only real photographs available without a download: used as the
world they light the scene with real skies, and drawn behind it they put real
trees, buildings and sky where a DR-trained detector otherwise only ever saw
procedural backgrounds. The map is looked up with the same rotation in Cycles
(``world_nodes``) and in numpy (``view``), so the visible background and the
light agree. At 1024 px over 360° a view is blurrier than a photo of the same
field of view (about 2.8 px per degree against KITTI's 15).
"""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np
from mathutils import Euler

from drbench.generate import materials
from drbench.generate.background import linear_to_srgb

FOLDER = "studiolights/world"  # under Blender's datafiles
MAP_RESOLUTION = 512  # of the world's light importance map (Cycles)
_MAPS: dict[str, tuple[np.ndarray, float]] = {}


def hdri_files() -> dict[str, str]:
    """Map name (file stem) -> path of every HDRI in the installed Blender, sorted by name."""
    folder = bpy.utils.system_resource("DATAFILES", path=FOLDER)
    files = sorted(Path(folder).glob("*.exr")) if folder else []
    if not files:
        raise FileNotFoundError(f"no HDRI (*.exr) in Blender's datafiles/{FOLDER} ({folder or 'not found'})")
    return {path.stem: str(path) for path in files}


def load(path: str) -> tuple[np.ndarray, float]:
    """The map's linear RGB (rows bottom to top, as Blender stores them) and its mean luminance
    over the sphere; read once per worker."""
    if path not in _MAPS:
        image = materials.library_image(path)
        width, height = image.size
        flat = np.empty(width * height * 4, np.float32)
        image.pixels.foreach_get(flat)
        equirect = flat.reshape(height, width, 4)[..., :3].copy()
        weight = np.sin((np.arange(height) + 0.5) / height * math.pi)  # each row's solid angle
        luminance = (equirect @ np.array([0.2126, 0.7152, 0.0722], np.float32)).mean(axis=1)
        _MAPS[path] = equirect, float((luminance * weight).sum() / weight.sum())
    return _MAPS[path]


def world_nodes(world: bpy.types.World, path: str, rotation: tuple[float, float, float], strength: float) -> None:
    """Light the world with the map at ``path``, turned by ``rotation`` (XYZ Euler, radians)."""
    tree = world.node_tree
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.vector_type = "POINT"
    mapping.inputs["Rotation"].default_value = rotation
    environment = tree.nodes.new("ShaderNodeTexEnvironment")
    environment.image = materials.library_image(path)
    tree.links.new(coords.outputs["Generated"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], environment.inputs["Vector"])
    background = tree.nodes["Background"]
    tree.links.new(environment.outputs["Color"], background.inputs["Color"])
    background.inputs["Strength"].default_value = strength
    # Cycles' automatic importance map for a 1024-px map took 1.8 s per image on 2 cores (before
    # a 0.04 s render at 160×48); a 512-px one keeps the sun sampled for 0.03 s
    world.cycles.sampling_method = "MANUAL"
    world.cycles.sample_map_resolution = MAP_RESOLUTION


def lookup_matrix(camera_rotation: Euler, map_rotation: tuple[float, float, float]) -> np.ndarray:
    """Camera-space ray direction -> the direction the map is read at (world mapping after camera)."""
    return np.array(Euler(map_rotation, "XYZ").to_matrix() @ camera_rotation.to_matrix())


def view(equirect: np.ndarray, lookup: np.ndarray, hfov: float, strength: float,
         height: int, width: int) -> np.ndarray:
    """What a pinhole camera (horizontal field of view ``hfov``) sees of the map: H×W×3 sRGB in [0, 1].

    Blender's conventions: the camera looks along its -z, y up; a direction (x, y, z)
    reads the map at u = 1/2 - atan2(y, x) / 2π and v = 1/2 + atan2(z, hypot(x, y)) / π
    (Cycles' ``direction_to_equirectangular``; v counts rows from the bottom).
    """
    focal = width / 2 / math.tan(hfov / 2)
    xs = (np.arange(width, dtype=np.float32) + 0.5 - width / 2) / focal
    ys = (height / 2 - np.arange(height, dtype=np.float32) - 0.5) / focal
    rays = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.float32(-1.0)), axis=-1)
    direction = rays @ lookup.T.astype(np.float32)
    x, y, z = direction[..., 0], direction[..., 1], direction[..., 2]
    rows, columns = equirect.shape[:2]
    u = (0.5 - np.arctan2(y, x) / (2 * math.pi)) * columns - 0.5
    v = (np.arctan2(z, np.hypot(x, y)) / math.pi + 0.5) * rows - 0.5
    return linear_to_srgb(strength * _bilinear(equirect, u, v)).astype(np.float32)


def _bilinear(image: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bilinear samples at pixel coordinates (u wraps around, v is clamped)."""
    rows, columns = image.shape[:2]
    u0, v0 = np.floor(u), np.floor(v)
    fu, fv = (u - u0)[..., None], (v - v0)[..., None]
    left, right = u0.astype(int) % columns, (u0.astype(int) + 1) % columns
    low, high = np.clip(v0.astype(int), 0, rows - 1), np.clip(v0.astype(int) + 1, 0, rows - 1)
    bottom = image[low, left] * (1 - fu) + image[low, right] * fu
    top = image[high, left] * (1 - fu) + image[high, right] * fu
    return bottom * (1 - fv) + top * fv
